package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// countEvents counts the notified events named ev.
func countEvents(t *testing.T, file, ev string) int {
	t.Helper()
	n := 0
	for _, e := range notifiedEvents(t, file) {
		if strings.HasPrefix(e, ev+"@") {
			n++
		}
	}
	return n
}

// TestNotifyReminderOncePerPeriod: a job failing on three hosts is
// reminded of once per notify_repeat, fleet-wide, whether the hosts' runs
// or three checks at once notice it first; a reminder, by a run or a
// check, starts the next period; a success then recovers.
func TestNotifyReminderOncePerPeriod(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	cmd, events := notifyLog(e.dir)
	// The period is long enough for a round of three queued runs on a
	// loaded machine to end within it.
	const period = 6 * time.Second
	e.setConfig(func(c *zktest.SwitchmanConfig) {
		c.Extra = append(c.Extra, "notify: ['"+cmd+"']", "notify_repeat: "+period.String())
	})
	round := func(code int) {
		var wg sync.WaitGroup
		for _, h := range []string{"h1", "h2", "h3"} {
			wg.Go(func() {
				if r := e.run(append([]string{"--lockname", "flaky", "--wait", "--hostname", h}, sh(fmt.Sprintf("exit %d", code))...)...); r.code != code {
					t.Errorf("%s: exit %d, want %d; stderr %q", h, r.code, code, r.stderr)
				}
			})
		}
		wg.Wait()
	}
	checks := func() {
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if r := e.run("check", "failed"); r.code != 2 {
					t.Errorf("check failed: exit %d, %q; want CRITICAL", r.code, r.stdout)
				}
			})
		}
		wg.Wait()
	}
	want := func(stage string, failed, reminders, recovered int) {
		t.Helper()
		f, r, rec := countEvents(t, events, "failed"), countEvents(t, events, "reminder"), countEvents(t, events, "recovered")
		if f != failed || r != reminders || rec != recovered {
			t.Fatalf("%s: %d failed, %d reminders, %d recovered; want %d, %d, %d (%q)", stage, f, r, rec, failed, reminders, recovered,
				notifiedEvents(t, events))
		}
	}
	round(3)
	want("first round", 1, 0, 0)
	checks()
	want("checks within the period", 1, 0, 0)
	time.Sleep(period + 500*time.Millisecond)
	round(3)
	want("runs a period later", 1, 1, 0)
	checks()
	want("checks right after the runs' reminder", 1, 1, 0)
	time.Sleep(period + 500*time.Millisecond)
	checks()
	want("three checks at once a period later", 1, 2, 0)
	round(3)
	want("runs right after the checks' reminder", 1, 2, 0)
	round(0)
	want("success", 1, 2, 1)
}

// TestNotifyOverdue: a run past its --expected-duration is told once:
// by the running wrapper when its host has notify commands, else by the
// first check overdue that sees it; later checks, on any host, send
// nothing.
func TestNotifyOverdue(t *testing.T) {
	srv := sharedZK(t)
	tests := []struct {
		name          string
		wrapperNotify bool
	}{
		{"the wrapper notices", true},
		{"a check notices", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, srv, `{}`)
			cmd, events := notifyLog(e.dir)
			checker := e.withConfig("checker.yaml", "notify: ['"+cmd+"']", "hostname: checker")
			wrapper := e
			if tt.wrapperNotify {
				wrapper = e.withConfig("wrapper.yaml", "notify: ['"+cmd+"']")
			}
			c := wrapper.start("--lockname", "slow", "--hostname", "h1", "--expected-duration", "1s", "--", "/bin/sh", "-c", "sleep 4")
			time.Sleep(2 * time.Second)
			for range 2 {
				if r := checker.run("check", "overdue"); r.code != 2 {
					t.Errorf("check overdue: exit %d, %q; want CRITICAL", r.code, r.stdout)
				}
			}
			if code := waitExit(t, c, 20*time.Second); code != 0 {
				t.Errorf("the job exited %d", code)
			}
			got := notifiedEvents(t, events)
			if len(got) != 1 || got[0] != "overdue@h1" {
				t.Errorf("notified %q, want one overdue about h1", got)
			}
			claimer := map[bool]string{true: "h1", false: "checker"}[tt.wrapperNotify]
			if _, n := e.jobLog("slow"); len(n) != 1 || n[0].Event != "overdue" || n[0].Host != claimer {
				t.Errorf("notices %+v, want one overdue claimed by %s", n, claimer)
			}
		})
	}
}

// TestNotifyMissed: a missed slot is told once, by the first check
// missed; later checks send nothing.
func TestNotifyMissed(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	cmd, events := notifyLog(e.dir)
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.Extra = append(c.Extra, "notify: ['"+cmd+"']") })
	due := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Minute)
	sched := fmt.Sprintf("%d %d * * *", due.Minute(), due.Hour())
	e.lastRan("daily", sched, due.AddDate(0, 0, -1))
	slotFile := filepath.Join(e.dir, "slot")
	e.setConfig(func(c *zktest.SwitchmanConfig) {
		c.Extra = append(c.Extra, "notifiers: {x: ['echo $SWITCHMAN_SLOT > "+slotFile+"']}")
	})
	for range 3 {
		if r := e.run("check", "missed"); r.code != 2 {
			t.Fatalf("check missed: exit %d, %q; want CRITICAL", r.code, r.stdout)
		}
	}
	if got := notifiedEvents(t, events); len(got) != 1 || !strings.HasPrefix(got[0], "missed@") {
		t.Errorf("notified %q, want one missed", got)
	}
	if _, err := os.Stat(slotFile); err == nil {
		t.Error("a job whose runs name no notifier was told through notifier x")
	}
}

// TestNotifyNamedNotifier: --notify NAME sends the job's events (a
// failure's, and the running wrapper's overdue) through the config's
// notifiers NAME, not notify; an undefined NAME is a config error and the
// command does not start.
func TestNotifyNamedNotifier(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	cmd, events := notifyLog(e.dir)
	other := filepath.Join(e.dir, "other")
	e.setConfig(func(c *zktest.SwitchmanConfig) {
		c.Extra = append(c.Extra, "notify: ['echo $SWITCHMAN_EVENT >> "+other+"']", "notifiers: {oncall: ['"+cmd+"'], quiet: []}")
	})
	if r := e.run(append([]string{"--lockname", "a", "--notify", "oncall", "--hostname", "h1"}, sh("exit 4")...)...); r.code != 4 {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	if got := notifiedEvents(t, events); len(got) != 1 || got[0] != "failed@h1" {
		t.Errorf("oncall got %q, want one failed", got)
	}
	// The first run of a job: its overdue goes through its own notifier.
	if r := e.run("--lockname", "d", "--notify", "oncall", "--hostname", "h2", "--expected-duration", "500ms", "--", "/bin/sleep", "2"); r.code != 0 {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	if got := notifiedEvents(t, events); len(got) != 2 || got[1] != "overdue@h2" {
		t.Errorf("oncall got %q, want failed then overdue", got)
	}
	if r := e.run(append([]string{"--lockname", "b", "--notify", "quiet"}, sh("exit 4")...)...); r.code != 4 {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	if b, err := os.ReadFile(other); err == nil {
		t.Errorf("the default notify got %q", b)
	}
	mark := filepath.Join(e.dir, "ran")
	r := e.run(append([]string{"--lockname", "c", "--notify", "oncal"}, sh("touch "+mark)...)...)
	if r.code != 78 || !strings.Contains(r.stderr, `"notifiers" has no "oncal"`) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("an undefined notifier: exit %d, stderr %q; want 78 and one line", r.code, r.stderr)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("the command ran despite an undefined notifier")
	}
}
