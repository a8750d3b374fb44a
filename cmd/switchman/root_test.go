package main

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

// TestCommandNames checks that the table telling a command from a program
// to run names exactly the commands of the tree, with cobra's own.
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
}
