package dashboard

import (
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/status"
)

func TestLayout(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := fleet.PastRun{Host: "h1", Start: t0, Outcome: fleet.Outcome{Finish: t0.Add(time.Minute), Result: fleet.ResultSuccess}, Expected: "5m"}
	failed := fleet.PastRun{Host: "h2", Start: t0, Outcome: fleet.Outcome{Finish: t0.Add(2 * time.Minute), Result: "failure", ExitCode: 1}}
	snap := &status.Snapshot{
		Prefix: "/sw", Read: t0,
		Runs: []fleet.Run{
			{Lock: "a", Host: "h1", Group: "g"},
			{Lock: "b", Host: "h2", Group: "g"},
			{Lock: "c", Host: "h3", Expected: "1m"},
		},
		Locks:  []fleet.Holder{{Name: "c", Info: lock.Info{Host: "h4", PID: 7, Start: t0, ExpectedDuration: "9m"}}},
		Halted: map[string]fleet.Halt{"b": {Host: "h2", Result: "failure"}},
		Paused: map[string]fleet.Pause{
			"b":                         {Who: "ops", Reason: "own"},
			fleet.PauseName("", "g"):    {Who: "ops", Reason: "db"},
			fleet.PauseName("", "none"): {Who: "ops"},
		},
		Histories:  map[string][]fleet.PastRun{"a": {ok}, "b": {ok, failed}, "c": {}},
		Heartbeats: map[string]time.Time{"h5": t0, " ": t0},
	}
	f := layout(snap)
	if f.Prefix != "/sw" || !f.Read.Equal(t0) {
		t.Errorf("prefix %q read %v", f.Prefix, f.Read)
	}
	jobs := map[string]Job{}
	for _, j := range f.Jobs {
		jobs[j.Name] = j
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"three jobs, by name", len(f.Jobs) == 3 && f.Jobs[0].Name == "a" && f.Jobs[2].Name == "c"},
		{"a: paused by its group", jobs["a"].Paused != nil && jobs["a"].Paused.Reason == "group g: db"},
		{"b: its own pause wins over the group's", jobs["b"].Paused != nil && jobs["b"].Paused.Reason == "own"},
		{"b: halted", jobs["b"].Halted != nil && jobs["b"].Halted.Host == "h2"},
		{"a: last run and its expected duration", jobs["a"].Last != nil && jobs["a"].Last.Host == "h1" && jobs["a"].Expected == "5m"},
		{"c: running where its lock is", jobs["c"].RunningOn == "h4" && jobs["c"].PID == 7 && jobs["c"].RunningSince.Equal(t0)},
		{"c: the holder's expected duration over the record's", jobs["c"].Expected == "9m"},
		{"c: no run yet, an empty history", jobs["c"].Runs != nil && jobs["c"].Last == nil},
		{"one failure", len(f.Failures) == 1 && f.Failures[0].Job == "b" && f.Failures[0].ExitCode == 1},
		{"hosts: ran, runs, or beat; a blank name left out", hostNames(f) == "h1,h2,h3,h4,h5"},
		{"h4 runs c", len(f.Hosts) == 5 && len(f.Hosts[3].Running) == 1 && f.Hosts[3].Running[0] == "c"},
		{"h5 seen", len(f.Hosts) == 5 && f.Hosts[4].Seen.Equal(t0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("layout: %+v", f)
			}
		})
	}
}

func hostNames(f *Fleet) string {
	s := ""
	for i, h := range f.Hosts {
		if i > 0 {
			s += ","
		}
		s += h.Name
	}
	return s
}
