package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/history"
	"github.com/acme/switchman/internal/zktest"
)

// TestShortFaults runs the short set of faults (the -short scenarios) against
// a real 3-server ensemble and fails on any violation the checker finds. With
// CI set, ZooKeeper failing to start fails the test (zktest.StartEnsemble).
func TestShortFaults(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3, zkOptions)
	e, err := newEnv(map[int]*zktest.Ensemble{3: ens})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	sel := selectScenarios(true, regexp.MustCompile(""))
	if len(sel) < 4 {
		t.Fatalf("short set has %d scenarios, want at least 4", len(sel))
	}
	for _, sc := range sel {
		if sc.servers != 3 {
			t.Fatalf("short scenario %q needs %d servers; the test starts only a 3-server ensemble", sc.name, sc.servers)
		}
	}
	start := time.Now()
	results := e.runAll(sel, func(r result) { t.Log(progressLine(r)) })
	for _, r := range results {
		if r.runs == 0 {
			t.Errorf("%s: no child ran: the scenario proved nothing", r.name)
		}
		for _, v := range r.violations {
			t.Errorf("%s: %s", r.name, v)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + report(results, "go test ./internal/faults", start, time.Since(start)))
	}
}

// TestExitSummary checks the report's exit-code tally and its fixed section.
func TestExitSummary(t *testing.T) {
	got := exitSummary(map[string]int{"71": 1, "0": 12, "killed": 2})
	if want := "0×12 71×1 killed×2"; got != want {
		t.Errorf("exitSummary = %q, want %q", got, want)
	}
	if !strings.Contains(report(nil, "cmd", time.Now(), time.Second), "What cannot be guaranteed") {
		t.Error("report lacks the section on what cannot be guaranteed")
	}
}

// TestCheckSlots: two runs of one slot of a lock are a violation; the
// same slot of two locks, and runs without a slot, are not.
func TestCheckSlots(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	run := func(lock, host string, pid int, slot string) history.Run {
		r := history.Run{Lock: lock, Host: host, PID: pid, Start: t0.Add(time.Duration(pid) * time.Second), Extra: map[string]string{}}
		if slot != "" {
			r.Extra["slot"] = slot
		}
		return r
	}
	o := &outcome{}
	checkSlots([]history.Run{run("job", "h1", 1, "s1"), run("other", "h2", 2, "s1"), run("job", "h2", 3, ""), run("job", "h3", 4, "")}, o)
	if len(o.violations) != 0 {
		t.Errorf("violations %q, want none", o.violations)
	}
	checkSlots([]history.Run{run("job", "h1", 1, "s1"), run("job", "h2", 2, "s1")}, o)
	if len(o.violations) != 1 || !strings.Contains(o.violations[0], "slot s1 of job ran twice") {
		t.Errorf("violations %q, want slot s1 ran twice", o.violations)
	}
}
