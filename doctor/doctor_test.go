package doctor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		procs map[string]string // pid -> comm
		want  string
	}{
		{"cron among others", map[string]string{"1": "systemd", "42": "cron", "self": "x"}, "cron"},
		{"crond", map[string]string{"7": "crond"}, "crond"},
		{"none", map[string]string{"1": "init", "2": "crontab"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for pid, comm := range tt.procs {
				if err := os.MkdirAll(filepath.Join(dir, pid), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, pid, "comm"), []byte(comm+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			name, _, ok := findProcess(dir, cronDaemons)
			if name != tt.want || ok != (tt.want != "") {
				t.Errorf("findProcess = %q, %v; want %q", name, ok, tt.want)
			}
		})
	}
}

// TestCapsHint: the hint names exactly the caps whose controller is
// missing.
func TestCapsHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		controllers []string
		want        []string
		notWant     []string
	}{
		{[]string{"cpu", "memory", "pids"}, nil, []string{"needs"}},
		{[]string{"cpu", "pids"}, []string{"--memory-max needs memory", "not enforced here"}, []string{"cpu-max", "tasks-max"}},
		{nil, []string{"--memory-max needs memory", "--cpu-max needs cpu", "--tasks-max needs pids"}, nil},
	}
	for _, tt := range tests {
		got := capsHint(tt.controllers)
		if tt.want == nil && got != "" {
			t.Errorf("capsHint(%q) = %q, want none", tt.controllers, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("capsHint(%q) = %q, want it to contain %q", tt.controllers, got, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(got, w) {
				t.Errorf("capsHint(%q) = %q, must not contain %q", tt.controllers, got, w)
			}
		}
	}
}

// TestReportLine: one line per check, the outcome padded to four, the
// hint in parentheses, a newline in a message folded; FAIL counts.
func TestReportLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	d := &doctor{out: &out}
	d.report(checkOK, "config: fine", "")
	d.report(checkFail, "zookeeper: down\nhard", "check zkhosts")
	d.report(checkWarn, "cron: none", "start it")
	want := "OK   config: fine\nFAIL zookeeper: down hard (check zkhosts)\nWARN cron: none (start it)\n"
	if out.String() != want || d.fails != 1 {
		t.Errorf("report wrote %q (fails %d), want %q (fails 1)", out.String(), d.fails, want)
	}
}

// TestRunWithoutConfig: with no config to find, Run reports the config
// FAIL, skips the checks that need it, still checks cron (in ProcDir)
// and counts one failure.
func TestRunWithoutConfig(t *testing.T) {
	t.Parallel()
	proc := t.TempDir()
	if err := os.MkdirAll(filepath.Join(proc, "9"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "9", "comm"), []byte("cron\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	missing := filepath.Join(t.TempDir(), "none.yaml")
	n := Run(t.Context(), Options{Config: missing, Getenv: func(string) string { return "" }, ProcDir: proc}, &out)
	got := out.String()
	if n < 1 || !strings.HasPrefix(got, "FAIL config: ") || strings.Contains(got, "zookeeper:") ||
		!strings.Contains(got, "OK   cron: cron running (pid 9)") {
		t.Errorf("Run = %d failures, output:\n%s", n, got)
	}
}
