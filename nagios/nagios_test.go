package nagios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"ok with perf", Result{Service: "SWITCHMAN FAILED", Text: "fine", Perf: []string{"a=1;;;0", "b=2"}},
			"SWITCHMAN FAILED OK - fine | a=1;;;0 b=2"},
		{"pipe and newline kept out", Result{Service: "CRONTAB", State: Critical, Text: "a | b\nc\x7fd"},
			"CRONTAB CRITICAL - a (pipe) b c d"},
		{"unknown", UnknownResult("X", errors.New("no server")), "X UNKNOWN - no server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.r.Line(); got != tt.want {
				t.Errorf("Line() = %q, want %q", got, tt.want)
			}
		})
	}
	for s, want := range map[State]string{OK: "OK", Warning: "WARNING", Critical: "CRITICAL", Unknown: "UNKNOWN", State(9): "UNKNOWN"} {
		if s.String() != want {
			t.Errorf("State(%d) = %q, want %q", s, s.String(), want)
		}
	}
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	running := func(name string, start time.Time, exp string) fleet.Holder {
		return fleet.Holder{Name: name, Info: lock.Info{Host: "h1", Start: start, ExpectedDuration: exp}}
	}
	tests := []struct {
		name  string
		locks []fleet.Holder
		state State
		text  string
	}{
		{"none", nil, OK, "0 jobs running, none past its expected duration"},
		{"within", []fleet.Holder{running("a", ago(time.Minute), "2m")}, OK, "1 jobs running"},
		{"past", []fleet.Holder{running("a", ago(3*time.Minute), "2m"), running("b", ago(time.Hour), "")}, Critical,
			"1 jobs past their expected duration: a on h1 running 3m0s > 2m0s"},
		{"no start known", []fleet.Holder{running("a", time.Time{}, "1s")}, OK, "1 jobs running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Overdue(tt.locks, now)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Overdue = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}

func TestFailed(t *testing.T) {
	t.Parallel()
	rec := func(lock, host, state, result string, start time.Time) fleet.Run {
		return fleet.Run{Lock: lock, Host: host, State: state, Start: start,
			Outcome: fleet.Outcome{Result: result, ExitCode: 3}}
	}
	tests := []struct {
		name  string
		runs  []fleet.Run
		halts map[string]fleet.Halt
		state State
		text  string
	}{
		{"all good", []fleet.Run{rec("a", "h1", fleet.StateFinished, fleet.ResultSuccess, ago(time.Hour))}, nil, OK, "no job's last run failed"},
		{"last run failed", []fleet.Run{rec("a", "h1", fleet.StateFinished, "failure", ago(time.Hour))}, nil, Critical, "a on h1: failure (exit 3)"},
		{"a later success elsewhere wins", []fleet.Run{rec("a", "h1", fleet.StateFinished, "failure", ago(2*time.Hour)),
			rec("a", "h2", fleet.StateFinished, fleet.ResultSuccess, ago(time.Hour))}, nil, OK, "no job's last run failed"},
		{"waiting keeps the failure", []fleet.Run{rec("a", "h1", fleet.StateWaiting, "lost-lock", ago(time.Hour))}, nil, Critical, "lost-lock"},
		{"running says nothing yet", []fleet.Run{rec("a", "h1", fleet.StateRunning, "failure", ago(time.Hour))}, nil, OK, ""},
		{"running, but its session is gone", []fleet.Run{rec("a", "h1", fleet.StateLost, "", ago(time.Hour))}, nil, Critical, "a on h1: lost"},
		{"halted", nil, map[string]fleet.Halt{"b": {When: ago(time.Hour)}}, Critical, "b halted since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Failed(tt.runs, tt.halts)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Failed = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}

func TestStale(t *testing.T) {
	t.Parallel()
	runs := []fleet.Run{
		{Lock: "fresh", Start: ago(time.Hour), LastSuccess: ago(time.Hour)},
		{Lock: "old", Start: ago(time.Hour), LastSuccess: ago(30 * time.Hour)},
		{Lock: "new-never", Start: ago(time.Hour)},
		{Lock: "old-never", Start: ago(48 * time.Hour)},
	}
	tests := []struct {
		name  string
		names []string
		state State
		text  string
	}{
		{"every job", nil, Critical, "2 of 4 jobs stale: old last succeeded 30h0m0s ago, old-never never succeeded"},
		{"named fresh", []string{"fresh", "new-never"}, OK, "2 jobs succeeded within 25h0m0s"},
		{"named unknown", []string{"ghost"}, Critical, "ghost never ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Stale(runs, tt.names, 25*time.Hour, now, nil, 0)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Stale = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}

// TestStaleScheduled: a job with a known schedule is judged by its last
// due slot, not by the threshold.
func TestStaleScheduled(t *testing.T) {
	t.Parallel()
	slot := ago(2 * time.Hour)
	runs := []fleet.Run{
		{Lock: "ok", Start: slot, LastSuccess: slot.Add(time.Minute)},
		{Lock: "failed", Start: slot, LastSuccess: ago(26 * time.Hour), State: fleet.StateFinished},
		{Lock: "running", Start: slot, LastSuccess: ago(26 * time.Hour), State: fleet.StateRunning},
		{Lock: "late-clock", Start: slot.Add(-30 * time.Second), LastSuccess: slot.Add(-20 * time.Second)},
		{Lock: "unscheduled", Start: ago(time.Hour), LastSuccess: ago(time.Hour)},
	}
	due := map[string]time.Time{"ok": slot, "failed": slot, "running": slot, "late-clock": slot, "missed": slot, "new": {}}
	tests := []struct {
		name  string
		names []string
		state State
		text  string
	}{
		{"every job, scheduled ones too", nil, Critical, "2 of 7 jobs stale: failed no success since its slot " + slot.UTC().Format(time.RFC3339) +
			", missed no success since its slot"},
		{"fresh by their slots", []string{"ok", "running", "late-clock", "new", "unscheduled"}, OK,
			"5 jobs succeeded since their last due slot, or within 25h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Stale(runs, tt.names, 25*time.Hour, now, due, time.Minute)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Stale = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	t.Parallel()
	d, err := config.ParseData("/p", []byte(`{"groups":{"web":["W1.example.com."],"db":"db1.example.com","all":["web","db"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		runs  []fleet.Run
		beats map[string]time.Time
		state State
		text  string
	}{
		{"nobody", nil, nil, Critical, "3 groups with no host seen within 25h0m0s: all, db, web"},
		{"heartbeat counts, case and dot aside", nil, map[string]time.Time{"w1.example.com": ago(time.Hour)}, Critical, "1 groups with no host seen within 25h0m0s: db"},
		{"run record counts", []fleet.Run{{Host: "db1.example.com", Start: ago(30 * time.Hour),
			Outcome: fleet.Outcome{Finish: ago(time.Hour)}}},
			map[string]time.Time{"w1.example.com": ago(time.Hour)}, OK, "every group has a host seen"},
		{"too old", nil, map[string]time.Time{"w1.example.com": ago(26 * time.Hour), "db1.example.com": ago(time.Hour)}, Critical, ": web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Hosts(d, tt.runs, tt.beats, 25*time.Hour, now)
			if r.State != tt.state || !strings.Contains(r.Text, tt.text) {
				t.Errorf("Hosts = %v %q, want %v containing %q", r.State, r.Text, tt.state, tt.text)
			}
		})
	}
}
