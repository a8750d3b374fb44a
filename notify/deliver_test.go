package notify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/testenv"
)

func sample() Payload {
	return Payload{Job: "backup", Event: Failed, Host: "h1", Time: time.Now().UTC(), ExitStatus: 3,
		Result: "failure", DurationMS: 1500, Output: "disk full\n", FencingToken: 42}
}

func TestDeliverPassesPayload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, env := filepath.Join(dir, "in"), filepath.Join(dir, "env")
	cmd := "cat > " + in + "; env | grep ^SWITCHMAN_ | sort > " + env
	if err := Deliver(context.Background(), sample(), Options{Commands: []string{cmd}}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var got Payload
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("stdin %q: %v", b, err)
	}
	if want := sample(); got.Job != want.Job || got.Event != want.Event || got.FencingToken != 42 || got.Output != want.Output {
		t.Errorf("stdin decoded to %+v, want %+v", got, want)
	}
	e, _ := os.ReadFile(env)
	for _, want := range []string{"SWITCHMAN_EVENT=failed", "SWITCHMAN_JOB=backup", "SWITCHMAN_EXIT_STATUS=3", "SWITCHMAN_FENCING_TOKEN=42"} {
		if !strings.Contains(string(e), want+"\n") {
			t.Errorf("environment lacks %s:\n%s", want, e)
		}
	}
}

func TestDeliverFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		command  string // %s: a scratch file
		timeout  time.Duration
		wantErr  bool
		maxTime  time.Duration
		attempts int // lines the command appends to the scratch file
		logged   string
	}{
		{"exit 1 is retried then given up", "echo x >> %s; echo boom; exit 1", 5 * time.Second, true, 5 * time.Second, attempts, "boom"},
		{"a hang is killed at the timeout", "echo x >> %s; sleep 30", 500 * time.Millisecond, true, 900 * time.Millisecond, 1, "notify_timeout"},
		{"a grandchild holding the pipe is killed too", "echo x >> %s; (sleep 30; echo late) & wait", 300 * time.Millisecond, true, 700 * time.Millisecond, 1, "notify_timeout"},
		{"an exit 0 while a grandchild holds the pipe is delivered once", "echo x >> %s; (sleep 1) &", 5 * time.Second, false, 5 * time.Second, 1, "notified"},
		{"a second try succeeds", "echo x >> %s; test $(wc -l < %[1]s) -ge 2", 5 * time.Second, false, 5 * time.Second, 2, "notified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			scratch := filepath.Join(t.TempDir(), "tries")
			var logs testenv.Buffer
			o := Options{Commands: []string{strings.ReplaceAll(tt.command, "%[1]s", scratch)}, Timeout: tt.timeout, Logger: zerolog.New(&logs)}
			o.Commands[0] = strings.ReplaceAll(o.Commands[0], "%s", scratch)
			start := time.Now()
			err := Deliver(context.Background(), sample(), o)
			took := time.Since(start)
			if (err != nil) != tt.wantErr {
				t.Errorf("Deliver error = %v, want error %v", err, tt.wantErr)
			}
			if took > tt.maxTime {
				t.Errorf("Deliver took %s, want at most %s", took, tt.maxTime)
			}
			b, _ := os.ReadFile(scratch)
			if n := strings.Count(string(b), "x"); n != tt.attempts {
				t.Errorf("command ran %d times, want %d", n, tt.attempts)
			}
			deadline := time.Now().Add(2 * time.Second) // the killed command's goroutine logs after Deliver returned
			for !strings.Contains(logs.String(), tt.logged) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("log lacks %q:\n%s", tt.logged, logs.String())
			}
		})
	}
}
