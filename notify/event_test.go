package notify

import (
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
)

func runs(results ...string) []fleet.PastRun {
	out := make([]fleet.PastRun, len(results))
	for i, r := range results {
		out[i].Result = r
	}
	return out
}

// withEvent marks run i of rs as having fired ev.
func withEvent(rs []fleet.PastRun, i int, ev Event) []fleet.PastRun {
	rs[i].Event = string(ev)
	return rs
}

// retried marks the runs at is in rs as attempts --retry followed with
// another.
func retried(rs []fleet.PastRun, is ...int) []fleet.PastRun {
	for _, i := range is {
		rs[i].Retried = true
	}
	return rs
}

const (
	ok    = fleet.ResultSuccess
	bad   = fleet.ResultFailure
	moved = fleet.ResultMoved
	lost  = fleet.ResultLostLock
	tout  = fleet.ResultTimeout
)

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prior  []fleet.PastRun
		result string
		rule   Rule
		want   Event
	}{
		{"first run fails", nil, bad, Rule{}, Failed},
		{"first run succeeds", nil, ok, Rule{}, ""},
		{"failure after success", runs(ok, ok), bad, Rule{}, Failed},
		{"second failure is quiet", runs(ok, bad), bad, Rule{}, ""},
		{"timeout counts as failure", runs(ok), tout, Rule{}, Failed},
		{"success after failure", runs(ok, bad), ok, Rule{}, Recovered},
		{"success after successes", runs(bad, ok), ok, Rule{}, ""},
		{"after 2: first failure quiet", runs(ok), bad, Rule{After: 2}, ""},
		{"after 2: second failure fires", runs(ok, bad), bad, Rule{After: 2}, Failed},
		{"after 2: third failure quiet", runs(ok, bad, bad), bad, Rule{After: 2}, ""},
		{"after 2: recovery after one failure quiet", runs(ok, bad), ok, Rule{After: 2}, ""},
		{"after 2: recovery after two failures", runs(bad, bad), ok, Rule{After: 2}, Recovered},
		{"moved runs are skipped in the streak", runs(ok, bad, moved), bad, Rule{After: 2}, Failed},
		{"moved run fires nothing", runs(ok, bad), moved, Rule{}, ""},
		{"lost lock fires lost", runs(ok), lost, Rule{After: 3}, Lost},
		{"recovery after a lost run", runs(ok, lost), ok, Rule{After: 3}, Recovered},
		{"recovery after a halted run", withEvent(runs(ok, bad), 1, Halted), ok, Rule{After: 3}, Recovered},
		{"no recovery after an unnotified streak", runs(ok, bad, bad), ok, Rule{After: 3}, ""},
		{"halt on failure fires halted", runs(ok, ok), bad, Rule{After: 3, HaltOnFailure: true}, Halted},
		{"retried attempts are not in the streak", retried(runs(ok, bad, bad), 1, 2), ok, Rule{}, ""},
		{"failure after retried attempts is the first", retried(runs(ok, bad, bad), 1, 2), bad, Rule{}, Failed},
		{"after 2: retried attempts do not count", retried(runs(ok, bad, bad, bad), 2, 3), bad, Rule{After: 2}, Failed},
		{"halt on success fires nothing", runs(ok), ok, Rule{HaltOnFailure: true}, ""},
		// Run 1 failed and fired at 00:01:01, run 2 failed quietly.
		{"reminder due", told(1, Failed, ok, bad, bad), bad, Rule{Repeat: time.Hour, Now: t0.Add(10 * time.Hour)}, Reminder},
		{"reminder not due", told(1, Failed, ok, bad, bad), bad, Rule{Repeat: 24 * time.Hour, Now: t0.Add(10 * time.Hour)}, ""},
		{"reminder never", told(1, Failed, ok, bad, bad), bad, Rule{Now: t0.Add(10 * time.Hour)}, ""},
		{"success recovers instead of a reminder", told(1, Failed, ok, bad, bad), ok, Rule{Repeat: time.Hour, Now: t0.Add(10 * time.Hour)}, Recovered},
		{"halt instead of a reminder", told(1, Failed, ok, bad, bad), bad, Rule{Repeat: time.Hour, Now: t0.Add(10 * time.Hour), HaltOnFailure: true}, Halted},
		{"not told yet: failed, not a reminder", told(-1, "", ok, bad), bad, Rule{After: 2, Repeat: time.Hour, Now: t0.Add(10 * time.Hour)}, Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Decide(tt.prior, tt.result, tt.rule); got != tt.want {
				t.Errorf("Decide(%v, %q, %+v) = %q, want %q", tt.prior, tt.result, tt.rule, got, tt.want)
			}
		})
	}
}

// told returns runs of results, the i-th starting at minute i and
// finishing a second later, with ev fired by run at (if at >= 0).
func told(at int, ev Event, results ...string) []fleet.PastRun {
	rs := runs(results...)
	for i := range rs {
		rs[i].Start = t0.Add(time.Duration(i) * time.Minute)
		rs[i].Finish = rs[i].Start.Add(time.Second)
	}
	if at >= 0 {
		rs[at].Event = string(ev)
	}
	return rs
}

var t0 = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func TestReminderDue(t *testing.T) {
	t.Parallel()
	// Run 1 failed and fired at 00:01:01; runs 2 and 3 failed quietly.
	failing := told(1, Failed, ok, bad, bad, bad)
	firedAt := t0.Add(time.Minute + time.Second)
	tests := []struct {
		name    string
		prior   []fleet.PastRun
		notices []fleet.Notice
		now     time.Time
		repeat  time.Duration
		want    bool
	}{
		{"due a period after the failed event", failing, nil, firedAt.Add(time.Hour), time.Hour, true},
		{"not yet", failing, nil, firedAt.Add(time.Hour - time.Second), time.Hour, false},
		{"repeat 0 never reminds", failing, nil, firedAt.Add(1000 * time.Hour), 0, false},
		{"a reminder run restarts the period", told(2, Reminder, ok, bad, bad), nil, t0.Add(2*time.Minute + time.Second + 59*time.Minute), time.Hour, false},
		{"a check's reminder restarts the period", failing, []fleet.Notice{{Event: "reminder", Time: firedAt.Add(time.Hour)}}, firedAt.Add(90 * time.Minute), time.Hour, false},
		{"and is due again a period later", failing, []fleet.Notice{{Event: "reminder", Time: firedAt.Add(time.Hour)}}, firedAt.Add(2 * time.Hour), time.Hour, true},
		{"a reminder before the streak does not count", failing, []fleet.Notice{{Event: "reminder", Time: t0.Add(-time.Hour)}}, firedAt.Add(time.Hour), time.Hour, true},
		{"other notices do not count", failing, []fleet.Notice{{Event: "overdue", Key: "7", Time: firedAt.Add(30 * time.Minute)}}, firedAt.Add(time.Hour), time.Hour, true},
		{"recovered: nothing to remind", told(1, Failed, ok, bad, ok), nil, t0.Add(100 * time.Hour), time.Hour, false},
		{"never told (notify_after not reached)", told(-1, "", ok, bad), nil, t0.Add(100 * time.Hour), time.Hour, false},
		{"a lost lock was told", told(-1, "", ok, lost, bad), nil, t0.Add(time.Minute + time.Second + time.Hour), time.Hour, true},
		{"moved and retried runs do not end the streak", retried(told(1, Halted, ok, bad, moved, bad), 3), nil, firedAt.Add(time.Hour), time.Hour, true},
		{"no history", nil, nil, t0, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ReminderDue(tt.prior, tt.notices, tt.now, tt.repeat); got != tt.want {
				t.Errorf("ReminderDue = %v, want %v", got, tt.want)
			}
		})
	}
}
