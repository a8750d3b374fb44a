package notify

import (
	"testing"

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
