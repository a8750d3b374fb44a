package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/switchman/exitcode"
)

// TestExitStatusesInREADME checks that the man page's EXIT STATUS rows
// (exitStatuses) are the README's exit status table, row for row, and
// that every status exitCode returns for switchman's own outcomes has a
// row.
func TestExitStatusesInREADME(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range exitStatuses {
		if row := "\n| " + s.Status + " | " + s.Meaning + " |\n"; !strings.Contains(readme, row) {
			t.Errorf("README's exit status table lacks the row%s", row)
		}
	}
	documented := map[string]bool{}
	for _, s := range exitStatuses {
		documented[s.Status] = true
	}
	for _, code := range []int{exitcode.OK, exitcode.Failed, exitcode.Usage, exitcode.DataErr, exitcode.Unavailable, exitcode.Software, exitcode.Lost,
		exitcode.LeaseWait, exitcode.NoPerm, exitcode.Config, exitcode.Timeout, exitcode.NotExec, exitcode.NotFound} {
		if !documented[strconv.Itoa(code)] {
			t.Errorf("exit status %d has no row in exitStatuses", code)
		}
	}
}
