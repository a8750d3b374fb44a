package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion asks for completions as the shells do (the hidden
// __complete command): after "--" the command comes from $PATH and its
// arguments from files, never switchman's subcommands.
func TestCompletion(t *testing.T) {
	bin := t.TempDir()
	for name, mode := range map[string]os.FileMode{"statjob": 0o755, "status-report": 0o755, "stale.txt": 0o644} {
		if err := os.WriteFile(filepath.Join(bin, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	tests := []struct {
		name      string
		args      []string
		want      []string // lines before the directive, in order
		directive string
	}{
		{"command after --", []string{"--", "st"}, []string{"statjob", "status-report"}, ":0"},
		{"command after flags and --", []string{"-g", "reports", "--", ""}, []string{"statjob", "status-report"}, ":0"},
		{"argument after --: files", []string{"--", "statjob", ""}, nil, ":0"},
		{"path after --: files", []string{"--", "./st"}, nil, ":0"},
		{"command without --", []string{"-g", "reports", "stat"}, []string{"statjob", "status-report"}, ":0"},
		{"argument without --: files", []string{"-g", "reports", "statjob", "x"}, nil, ":0"},
		{"flag value named like a subcommand", []string{"-g", "status", "--", "stat"}, []string{"statjob", "status-report"}, ":0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(append([]string{"__complete"}, tt.args...), &out, &errb)
			lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
			if code != 0 || len(lines) == 0 || lines[len(lines)-1] != tt.directive {
				t.Fatalf("exit %d, output %q, want directive %s", code, out.String(), tt.directive)
			}
			if got := lines[:len(lines)-1]; strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
		})
	}
	// Without "--", cobra still completes subcommands.
	var out bytes.Buffer
	Main([]string{"__complete", "stat"}, &out, &bytes.Buffer{})
	if !strings.Contains(out.String(), "status\t") || !strings.Contains(out.String(), "statjob") {
		t.Errorf("switchman stat<TAB>: %q, want the status subcommand and the statjob command", out.String())
	}
}
