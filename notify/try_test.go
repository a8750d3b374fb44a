package notify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe, script, plain := filepath.Join(dir, "exe"), filepath.Join(dir, "script"), filepath.Join(dir, "plain")
	for p, mode := range map[string]os.FileMode{exe: 0o755, script: 0o644, plain: 0o644} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, command string
		wantErr       string // "" for none
	}{
		{"program on PATH", "curl -d @- https://x", ""},
		{"assignment first", "A=1 B=2 true", ""},
		{"executable path", exe + " arg", ""},
		{"script through sh", "sh " + script + " ops@x", ""},
		{"sh with a command string", "sh -c 'exit 0'", ""},
		{"missing program", "no-such-notifier-xyz --x", "no-such-notifier-xyz"},
		{"not executable", plain, "permission denied"},
		{"missing script", "sh " + filepath.Join(dir, "gone"), "script"},
		{"only assignments", "A=1", "runs nothing"},
	}
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		tests[0].command = "cat"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.command)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Check(%q) = %v, want error containing %q", tt.command, err, tt.wantErr)
			}
		})
	}
}

func TestTry(t *testing.T) {
	t.Parallel()
	got := filepath.Join(t.TempDir(), "got")
	p := Sample("", "h1", "https://d", time.Unix(0, 0))
	out := Try(context.Background(), p, Options{Commands: []string{"cat > " + got, "exit 2"}, Timeout: 3 * time.Second})
	if len(out) != 2 || out[0].Err != nil || out[1].Err == nil {
		t.Fatalf("Try = %+v, want the first delivered, the second not", out)
	}
	b, _ := os.ReadFile(got)
	if !strings.Contains(string(b), `"test":true`) || !strings.Contains(string(b), `"job":"`+SampleJob+`"`) {
		t.Errorf("sample sent %s", b)
	}
}
