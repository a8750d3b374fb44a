package notify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples runs the shipped notify commands with a fake curl and
// sendmail on PATH that keep what they were given.
func TestExamples(t *testing.T) {
	t.Parallel()
	p := sample()
	p.Output = "line \"one\"\n\tback\\slash\n"
	p.DashboardURL = JobLink("https://dash.example", p.Job)
	tests := []struct {
		name   string
		script string
		check  func(t *testing.T, got string)
	}{
		{"webhook posts the payload", "webhook", func(t *testing.T, got string) {
			var back Payload
			if err := json.Unmarshal([]byte(got), &back); err != nil || back.Job != p.Job || back.Output != p.Output {
				t.Errorf("posted %q (%v), want the payload", got, err)
			}
		}},
		{"slack posts valid JSON text", "slack", func(t *testing.T, got string) {
			var msg struct{ Text string }
			if err := json.Unmarshal([]byte(got), &msg); err != nil {
				t.Fatalf("posted %q: %v", got, err)
			}
			for _, want := range []string{"*backup* failed on h1", p.Output, "<" + p.DashboardURL + "|dashboard>"} {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("text %q lacks %q", msg.Text, want)
				}
			}
		}},
		{"mail sends a message", "mail", func(t *testing.T, got string) {
			for _, want := range []string{"To: ops@example.com\n", "Subject: switchman: backup failed on h1 (failure, exit 3)", "disk full"} {
				if !strings.Contains(got, want) {
					t.Errorf("mail %q lacks %q", got, want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			got := filepath.Join(dir, "got")
			fake := "#!/bin/sh\ncat > " + got + "\n"
			for _, name := range []string{"curl", "sendmail"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(fake), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			script, _ := filepath.Abs(filepath.Join("..", "examples", "notify", tt.script))
			cmd := "PATH=" + dir + ":$PATH " + script + " " + map[bool]string{true: "ops@example.com", false: "https://hooks.example"}[tt.script == "mail"]
			q := p
			if tt.script == "mail" {
				q.Output = "disk full\n"
			}
			if err := Deliver(context.Background(), q, Options{Commands: []string{cmd}}); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			b, err := os.ReadFile(got)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, string(b))
		})
	}
}
