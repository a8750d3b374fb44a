package cmdline

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/acme/switchman/limits"
)

// TestParseLimits: the limit flags reach Options.Limits as the limits
// package reads them, in every spelling the wrapper line allows.
func TestParseLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		flags      []string // Limits.Flags() of the result
		bestEffort bool
	}{
		{"none", []string{"--", "x"}, nil, false},
		{"nice and ionice", []string{"--nice", "5", "--ionice", "idle", "--", "x"}, []string{"nice=5", "ionice=idle"}, false},
		{"negative nice as the next word", []string{"--nice", "-5", "--", "x"}, []string{"nice=-5"}, false},
		{"negative nice after =", []string{"--nice=-5", "--oom-score-adj=-100", "--", "x"}, []string{"nice=-5", "oom-score-adj=-100"}, false},
		{"rlimits repeated", []string{"--rlimit", "nofile=1024:4096", "--rlimit=core=0", "--", "x"},
			[]string{"rlimit=nofile=1024:4096", "rlimit=core=0:0"}, false},
		{"a later rlimit of the same resource wins", []string{"--rlimit", "nofile=10", "--rlimit", "nofile=20", "--", "x"},
			[]string{"rlimit=nofile=20:20"}, false},
		{"cgroup caps", []string{"--memory-max", "1G", "--cpu-max", "50%", "--tasks-max", "64", "--", "x"},
			[]string{"memory-max=1073741824", "cpu-max=50%", "tasks-max=64"}, false},
		{"best effort after the command", []string{"x", "--memory-max", "1G", "--limits-best-effort"},
			[]string{"memory-max=1073741824"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := Parse(tt.args, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Limits.Flags(); !slices.Equal(got, tt.flags) || o.LimitsBestEffort != tt.bestEffort {
				t.Errorf("limits %q best effort %v, want %q %v", got, o.LimitsBestEffort, tt.flags, tt.bestEffort)
			}
			if !slices.Equal(o.Command, []string{"x"}) {
				t.Errorf("command %q", o.Command)
			}
		})
	}
}

// TestParseLimitErrors: a bad limit is a usage error of one line that
// names the flag and says what would be right.
func TestParseLimitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nice out of range", []string{"--nice", "20", "--", "x"}, `limits: invalid --nice "20": want an integer from -20 to 19`},
		{"ionice class", []string{"--ionice", "fast", "--", "x"}, `limits: invalid --ionice "fast"`},
		{"oom score", []string{"--oom-score-adj=2000", "--", "x"}, `limits: invalid --oom-score-adj "2000"`},
		{"rlimit name", []string{"--rlimit", "files=10", "--", "x"}, `limits: invalid --rlimit "files=10"`},
		{"rlimit soft above hard", []string{"--rlimit", "nofile=10:5", "--", "x"}, "the soft limit is above the hard one"},
		{"rlimit without =", []string{"--rlimit", "nofile", "--", "x"}, "KEY=VALUE"},
		{"memory unit", []string{"--memory-max", "1GB", "--", "x"}, `limits: invalid --memory-max "1GB"`},
		{"cpu without %", []string{"--cpu-max", "50", "--", "x"}, `limits: invalid --cpu-max "50"`},
		{"tasks zero", []string{"--tasks-max", "0", "--", "x"}, `limits: invalid --tasks-max "0"`},
		{"no value", []string{"x", "--nice"}, "requires an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.args, false)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.args)
			}
			if !errors.Is(err, ErrUsage) {
				t.Errorf("error %v is not an ErrUsage", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tt.want)
			}
			if strings.HasPrefix(tt.want, "limits:") && !errors.Is(err, limits.ErrInvalid) {
				t.Errorf("error %v is not a limits.ErrInvalid", err)
			}
		})
	}
}
