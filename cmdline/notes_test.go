package cmdline

import (
	"strings"
	"testing"
)

func TestNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		own  bool     // notes about this tool's own options too
		want []string // substrings, one per note; none for no notes
	}{
		{"unambiguous", []string{"-g", "grp", "--", "/usr/bin/job", "--x"}, false, nil},
		{"negation is the original's own", []string{"--nolock", "--", "job"}, false, nil},
		{"no --", []string{"-g", "grp", "/usr/bin/job"}, false, []string{"(no --); unambiguous: switchman --group grp -- /usr/bin/job"}},
		{"option after the command", []string{"/usr/bin/job", "-g", "grp"}, false, []string{"option after the command -g, no --"}},
		{"abbreviated and one dash", []string{"-group", "g", "--lockn", "n", "--", "job"}, false,
			[]string{"long option with one dash -group, abbreviated option --lockn); unambiguous: switchman --group g --lockname n -- job"}},
		{"one-word shell command", []string{"--", "cd /app && ./run.sh"}, false, []string{`"cd /app && ./run.sh" runs through /bin/sh -c`}},
		{"one word split", []string{"--", "echo a b"}, false, []string{"split at blanks into 3 words"}},
		{"subcommand as first word", []string{"status"}, false, []string{`"status" is a switchman command here but a program the original ran under its lock: write "switchman -- status" for the program`}},
		{"subcommand after the config", []string{"-c", "/etc/s.yaml", "check", "failed"}, false,
			[]string{`"check" is a switchman command here but a program the original ran under its lock: write "switchman -c /etc/s.yaml -- check failed" for the program`}},
		{"subcommand name after an option", []string{"-g", "x", "status"}, false,
			[]string{`"status" is also a switchman command: it names the program only because an option stands before it; read by the original's option rules (no --); unambiguous: switchman --group x -- status`}},
		{"subcommand name after an option, with --", []string{"-g", "x", "status", "--", "-v"}, false,
			[]string{`"status" is also a switchman command: it names the program only because an option stands before it; unambiguous: switchman --group x -- status -v`}},
		{"subcommand name after --", []string{"-g", "x", "--", "status"}, false, nil},
		{"subcommand name after -- alone", []string{"--", "status"}, false, nil},
		{"quoting in the rewrite", []string{"-g", "g", "date", "+%s"}, false, nil}, // "+%s" is an unknown option: not a note
		{"this tool's own options, not asked", []string{"--timeout", "1h", "--", "job"}, false, nil},
		{"this tool's own options", []string{"--timeout", "1h", "--wait=5m", "--halt-on-failure", "--", "job"}, true,
			[]string{"--timeout, --wait, --halt-on-failure: this tool's only; the original refuses the line"}},
		{"percent quoted for cron", []string{"--lockn", "a%b", "--", "job"}, false, []string{`--lockname a\%b -- job`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Notes(tt.args, tt.own)
			if len(got) != len(tt.want) {
				t.Fatalf("notes %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %q lacks %q", got[i], w)
				}
			}
		})
	}
}

func TestCommandAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"first word", []string{"status", "-o", "json"}, 0},
		{"after -c", []string{"-c", "F", "status"}, 2},
		{"after --config", []string{"--config", "F", "groups", "move", "g", "--from", "a"}, 2},
		{"after --config=", []string{"--config=F", "doctor"}, 1},
		{"after two configs", []string{"-c", "F", "--config=G", "kill", "job"}, 3},
		{"a wrapper option before: the program", []string{"-g", "x", "status"}, -1},
		{"--no-lock before: the program", []string{"-c", "F", "--no-lock", "kill", "x"}, -1},
		{"after --: the program", []string{"-c", "F", "--", "status"}, -1},
		{"a program", []string{"-c", "F", "/bin/true"}, -1},
		{"-c without its value", []string{"-c"}, -1},
		{"-c takes status as its value", []string{"-c", "status"}, -1},
		{"abbreviated config is a wrapper option", []string{"--conf", "F", "status"}, -1},
		{"one-dash config is a wrapper option", []string{"-config", "F", "status"}, -1},
		{"case matters", []string{"Status"}, -1},
		{"empty line", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CommandAt(tt.args, Commands); got != tt.want {
				t.Errorf("CommandAt(%q) = %d, want %d", tt.args, got, tt.want)
			}
		})
	}
}
