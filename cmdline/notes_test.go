package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestCompatNotes(t *testing.T) {
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
		{"subcommand as first word", []string{"status"}, false, []string{`"status" is a switchman command here`}},
		{"quoting in the rewrite", []string{"-g", "g", "date", "+%s"}, false, nil}, // "+%s" is an unknown option: not a note
		{"this tool's own options, not asked", []string{"--timeout", "1h", "--", "job"}, false, nil},
		{"this tool's own options", []string{"--timeout", "1h", "--wait=5m", "--halt-on-failure", "--", "job"}, true,
			[]string{"--timeout, --wait, --halt-on-failure: this tool's only; the original refuses the line"}},
		{"percent quoted for cron", []string{"--lockn", "a%b", "--", "job"}, false, []string{`--lockname a\%b -- job`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := compatNotes(tt.args, tt.own)
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

// TestCommandNames checks that the table telling a subcommand from a
// program to run names exactly the commands of the tree, with cobra's own.
func TestCommandNames(t *testing.T) {
	root := newRootCmd(&App{Getenv: func(string) string { return "" }})
	want := []string{"help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd}
	for _, c := range root.Commands() {
		want = append(want, c.Name())
		want = append(want, c.Aliases...)
	}
	got := slices.Clone(commandNames)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("commandNames = %q, the tree has %q", got, want)
	}
	for _, w := range []string{"status", "groups", "help"} {
		if !isSubcommand(w) {
			t.Errorf("isSubcommand(%q) = false", w)
		}
	}
	for _, w := range []string{"true", "-g", "--", "Status"} {
		if isSubcommand(w) {
			t.Errorf("isSubcommand(%q) = true", w)
		}
	}
}
