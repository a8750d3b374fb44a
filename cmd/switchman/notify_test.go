package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/notify"
)

// notifyLog returns a notify command that appends "EVENT HOST" to a file
// in dir, and that file.
func notifyLog(dir string) (cmd, file string) {
	file = filepath.Join(dir, "events")
	return `echo "$SWITCHMAN_EVENT $SWITCHMAN_HOST" >> ` + file, file
}

func notifiedEvents(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", "@"))
}

// TestNotifyOncePerEventAcrossHosts runs one job from three hosts against
// real ZooKeeper: the hosts queue for the lock (--wait), so every run runs,
// and the failures count fleet-wide. With notify_after 2 the second failure
// in a row fires "failed" once, the third nothing, and the first success
// "recovered" once; a second success fires nothing.
func TestNotifyOncePerEventAcrossHosts(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	cmd, events := notifyLog(e.dir)
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.Extra = append(c.Extra, "notify: ['"+cmd+"']", "notify_after: 2") })
	runAll := func(code int) {
		var wg sync.WaitGroup
		for _, h := range []string{"h1", "h2", "h3"} {
			wg.Go(func() {
				r := e.run(append([]string{"--lockname", "flaky", "--wait", "--hostname", h}, sh(fmt.Sprintf("sleep 0.1; exit %d", code))...)...)
				if r.code != code {
					t.Errorf("%s: exit %d, want %d; stderr %q", h, r.code, code, r.stderr)
				}
			})
		}
		wg.Wait()
	}
	runAll(3)
	got := notifiedEvents(t, events)
	if len(got) != 1 || !strings.HasPrefix(got[0], "failed@") {
		t.Fatalf("three failures with notify_after 2 notified %q, want one failed", got)
	}
	runAll(0)
	got = notifiedEvents(t, events)
	if len(got) != 2 || !strings.HasPrefix(got[1], "recovered@") {
		t.Fatalf("then three successes notified %q, want failed then recovered once", got)
	}
	if !slices.ContainsFunc([]string{"h1", "h2", "h3"}, func(h string) bool { return strings.HasSuffix(got[1], "@"+h) }) {
		t.Errorf("recovered from host %q, want one of the three", got[1])
	}
	// Each event is claimed in the job's history, on the run that fired it.
	b, _, err := e.admin.Get(e.prefix + "/runs/flaky")
	if err != nil {
		t.Fatal(err)
	}
	var hist struct{ Runs []fleet.PastRun }
	if err := json.Unmarshal(b, &hist); err != nil {
		t.Fatal(err)
	}
	var claimed []string
	for _, r := range hist.Runs {
		if r.Event != "" {
			claimed = append(claimed, r.Event+"@"+r.Host)
		}
	}
	if !slices.Equal(claimed, got) || len(hist.Runs) != 6 {
		t.Errorf("history of %d runs claims %q, notified %q", len(hist.Runs), claimed, got)
	}
}

// TestNotifyNeverChangesTheRun: a notify command that hangs, or exits 1,
// leaves the job's exit status and output as they were, delays the exit
// by at most notify_timeout, and is logged: every attempt in the log file,
// one line on stderr (cron's mail) saying the notification was lost.
func TestNotifyNeverChangesTheRun(t *testing.T) {
	srv := sharedZK(t)
	tests := []struct {
		name, notify string
		logged       string
	}{
		{"hang", "sleep 30", "notify_timeout"},
		{"exit 1", "echo refused; exit 1", "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, srv, `{}`)
			job := append([]string{"--lockname", "j"}, sh("echo out; exit 7")...)
			base := e.run(job...) // without notify
			e.setConfig(func(c *zktest.SwitchmanConfig) {
				c.Extra = append(c.Extra, "notify: ['"+tt.notify+"']", "notify_timeout: 1500ms")
			})
			job[1] = "k" // a job of its own: its first failure fires "failed"
			r := e.run(job...)
			extra, found := strings.CutPrefix(r.stderr, base.stderr)
			if r.code != base.code || r.stdout != base.stdout || !found || strings.Count(extra, "\n") != 1 || !strings.Contains(extra, "notification not delivered") {
				t.Errorf("with notify: exit %d stdout %q stderr %q, without: %d %q %q", r.code, r.stdout, r.stderr, base.code, base.stdout, base.stderr)
			}
			if r.took > base.took+1500*time.Millisecond+300*time.Millisecond {
				t.Errorf("run took %s, %s without notify: more than notify_timeout later", r.took, base.took)
			}
			logb, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log"))
			for _, want := range []string{"notify command failed", tt.logged} {
				if !strings.Contains(string(logb), want) {
					t.Errorf("log lacks %q:\n%s", want, logb)
				}
			}
		})
	}
}

// TestNotifyTestCommand: `switchman notify test` sends a sample through
// each command and says which took it; without commands it is a config
// error.
func TestNotifyTestCommand(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	got := filepath.Join(e.dir, "got")
	sending := e.withConfig("notify.yaml", "notify: ['cat > "+got+"', 'exit 3']", "notify_timeout: 2s", "dashboard_url: https://dash.example")
	tests := []struct {
		name   string
		env    *env
		code   int
		stdout []string
	}{
		{"one takes it, one fails", sending, 1, []string{"ok   cat > " + got, "FAIL exit 3: ", "exit status 3"}},
		{"no commands", e, 78, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.env.run("notify", "test", "--job", "backup")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stdout %q stderr %q", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout %q lacks %q", r.stdout, want)
				}
			}
		})
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"job":"backup"`, `"test":true`, `"dashboard_url":"https://dash.example/#job-backup"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("sample %s lacks %s", b, want)
		}
	}
}

// TestNotifyPayloadOfARun checks the event a real failing run sends: its
// fields come from the run (exit status, output tail, fencing token) and
// the config (dashboard link).
func TestNotifyPayloadOfARun(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	got := filepath.Join(e.dir, "got")
	e.setConfig(func(c *zktest.SwitchmanConfig) {
		c.Extra = append(c.Extra, "notify: 'cat > "+got+"'", "dashboard_url: https://dash.example/")
	})
	if r := e.run(append([]string{"--lockname", "nightly", "--hostname", "h7"}, sh("echo boom; exit 5")...)...); r.code != 5 {
		t.Fatalf("exit %d, want 5; stderr %q", r.code, r.stderr)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	var p notify.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	if p.Job != "nightly" || p.Event != notify.Failed || p.Host != "h7" || p.ExitStatus != 5 || p.Result != "failure" ||
		p.Output != "boom\n" || p.FencingToken == 0 || p.DashboardURL != "https://dash.example/#job-nightly" || p.Time.IsZero() {
		t.Errorf("payload %+v", p)
	}
}
