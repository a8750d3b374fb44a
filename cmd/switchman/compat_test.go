package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestCompatNotes(t *testing.T) {
	t.Parallel()
	root := newRootCmd(&App{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: os.Getenv})
	tests := []struct {
		name string
		args []string
		want []string // substrings, one per note; none for no notes
	}{
		{"unambiguous", []string{"-g", "grp", "--", "/usr/bin/job", "--x"}, nil},
		{"negation is the original's own", []string{"--nolock", "--", "job"}, nil},
		{"no --", []string{"-g", "grp", "/usr/bin/job"}, []string{"(no --); unambiguous: switchman --group grp -- /usr/bin/job"}},
		{"option after the command", []string{"/usr/bin/job", "-g", "grp"}, []string{"option after the command -g, no --"}},
		{"abbreviated and one dash", []string{"-group", "g", "--lockn", "n", "--", "job"},
			[]string{"long option with one dash -group, abbreviated option --lockn); unambiguous: switchman --group g --lockname n -- job"}},
		{"one-word shell command", []string{"--", "cd /app && ./run.sh"}, []string{`"cd /app && ./run.sh" runs through /bin/sh -c`}},
		{"one word split", []string{"--", "echo a b"}, []string{"split at blanks into 3 words"}},
		{"subcommand as first word", []string{"status"}, []string{`"status" is a switchman command here`}},
		{"quoting in the rewrite", []string{"-g", "g", "date", "+%s"}, nil}, // "+%s" is an unknown option: not a note
		{"percent quoted for cron", []string{"--lockn", "a%b", "--", "job"}, []string{`--lockname a\%b -- job`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := compatNotes(root, tt.args)
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
