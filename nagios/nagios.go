// Package nagios holds switchman's monitoring rules as pure functions over
// the fleet's state (run records, halt markers, heartbeats, held locks and
// group data) and the one formatter of a Nagios plugin's status line. It
// reads nothing itself: the caller fetches the state, so every rule is
// testable with a table.
package nagios

import (
	"fmt"
	"sort"
	"strings"
)

// State is a Nagios plugin state; its value is the plugin's exit code.
type State int

// Nagios plugin states, in their exit-code order.
const (
	OK State = iota
	Warning
	Critical
	Unknown
)

// String returns the Nagios name of the state ("CRITICAL").
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// Result is one plugin run's outcome: printed as one status line, and its
// State is the exit code.
type Result struct {
	// Service names the check in the line, e.g. "SWITCHMAN FAILED".
	Service string
	State   State
	Text    string
	// Perf is the performance data, each "label=value;warn;crit;min".
	Perf []string
}

// Line returns the status line: "SERVICE STATE - text | perf". It never
// contains a newline, and the text never contains "|" (Nagios splits the
// output at the first one) or other control characters.
func (r Result) Line() string {
	line := fmt.Sprintf("%s %s - %s", r.Service, r.State, clean(r.Text))
	if len(r.Perf) > 0 {
		line += " | " + strings.Join(r.Perf, " ")
	}
	return line
}

// UnknownResult is the result of a check that could not look: err says why.
func UnknownResult(service string, err error) Result {
	return Result{Service: service, State: Unknown, Text: err.Error()}
}

// clean keeps a message on one line and out of the perfdata.
func clean(s string) string {
	s = strings.ReplaceAll(s, "|", "(pipe)")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// listing says "a, b, c (+M more)" for a problem line, sorted.
func listing(items []string) string {
	sort.Strings(items)
	s := strings.Join(items, ", ")
	if len(items) > 5 {
		s = strings.Join(items[:5], ", ") + fmt.Sprintf(" (+%d more)", len(items)-5)
	}
	return s
}
