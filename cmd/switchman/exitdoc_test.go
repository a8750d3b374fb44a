package main

import (
	"os"
	"strings"
	"testing"
)

// TestExitStatusesInREADME checks that the man page's EXIT STATUS rows
// (exitStatuses) and the README's exit status table name the same
// statuses.
func TestExitStatusesInREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range exitStatuses {
		if !strings.Contains(readme, "\n| "+s.Status+" | ") {
			t.Errorf("README's exit status table has no row for %s", s.Status)
		}
	}
}
