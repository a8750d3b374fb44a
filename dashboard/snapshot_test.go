package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/config"
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
	f := layout(snap, time.Minute)
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

// TestLayoutSlotsAndGroups: a scheduled job gets its last and next slot
// and its slot marks; groups list their hosts in standby order, nested
// groups resolved, with heartbeats and the jobs that name them.
func TestLayoutSlotsAndGroups(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	data, err := config.ParseData("/sw", []byte(`{"groups":{"g":["B.example.com","a.example.com"],"all":["c.example.com","g"],"empty":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	run := fleet.PastRun{Host: "b.example.com", Start: t0.Add(2 * time.Minute), Slot: t0.Add(2 * time.Minute),
		Outcome: fleet.Outcome{Finish: t0.Add(3 * time.Minute), Result: fleet.ResultSuccess}}
	snap := &status.Snapshot{
		Prefix: "/sw", Read: t0.Add(10*time.Minute + 30*time.Second), Data: data,
		Runs:       []fleet.Run{{Lock: "j", Host: "b.example.com", Group: "g"}, {Lock: "k", Host: "c.example.com", Group: "all"}, {Lock: "j", Host: "a.example.com", Group: "g"}},
		Histories:  map[string][]fleet.PastRun{"j": {run}},
		Heartbeats: map[string]time.Time{"b.example.com.": t0},
		Scheduled: []fleet.Scheduled{{Lock: "j", Record: []byte(`{"schedule":"*/2 * * * *","zone":"UTC"}`), Created: t0,
			Claimed: []string{"20261206T090200Z"}, Newest: []byte(`{"host":"b.example.com"}`)}},
	}
	f := layout(snap, time.Minute)
	var j Job
	for _, x := range f.Jobs {
		if x.Name == "j" {
			j = x
		}
	}
	if j.Slot == nil || j.Slot.Outcome != status.Missed || !j.Slot.Last.Equal(t0.Add(8*time.Minute)) || !j.Slot.Next.Equal(t0.Add(12*time.Minute)) {
		t.Errorf("j's slot %+v, want 09:08 missed, next 09:12", j.Slot)
	}
	var marks []string
	for _, m := range j.Slots {
		marks = append(marks, m.At.Format("04")+" "+string(m.Outcome))
	}
	if strings.Join(marks, ",") != "02 ran,04 missed,06 missed,08 missed" {
		t.Errorf("j's marks %q", marks)
	}
	var groups []string
	for _, g := range f.Groups {
		var hosts []string
		for _, h := range g.Hosts {
			seen := ""
			if !h.Seen.IsZero() {
				seen = "*"
			}
			hosts = append(hosts, h.Name+seen)
		}
		groups = append(groups, g.Name+"="+strings.Join(hosts, ",")+":"+strings.Join(g.Jobs, ","))
	}
	if got := strings.Join(groups, " "); got != "all=c.example.com,b.example.com*,a.example.com:k empty=: g=b.example.com*,a.example.com:j" {
		t.Errorf("groups %s", got)
	}
}
