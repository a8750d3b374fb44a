package job

import (
	"testing"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/supervise"
)

func TestRetryCeiling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{"first wait is the base", 100 * time.Millisecond, 1, 100 * time.Millisecond},
		{"doubles", 100 * time.Millisecond, 2, 200 * time.Millisecond},
		{"doubles again", 100 * time.Millisecond, 3, 400 * time.Millisecond},
		{"capped", 10 * time.Second, 10, cmdline.MaxRetryBackoff},
		{"a base above the cap is its own cap", 10 * time.Minute, 4, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (retryPolicy{retries: 20, base: tt.base}).ceiling(tt.attempt); got != tt.want {
				t.Errorf("ceiling(%d) with base %s = %s, want %s", tt.attempt, tt.base, got, tt.want)
			}
		})
	}
}

func TestRetryNext(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC)
	failed := supervise.Result{ExitCode: 3}
	stopped := supervise.Result{ExitCode: 143, Stopped: true}
	p := retryPolicy{retries: 3, base: 100 * time.Millisecond}
	tests := []struct {
		name    string
		p       retryPolicy
		attempt int
		r       supervise.Result
		result  string
		b       retryBounds
		u       float64
		want    time.Duration
		again   bool
		why     string
	}{
		{"no --retry", retryPolicy{base: time.Second}, 1, failed, fleet.ResultFailure, retryBounds{}, 0.5, 0, false, noRetryAsked},
		{"first failure: half the base", p, 1, failed, fleet.ResultFailure, retryBounds{}, 0.5, 50 * time.Millisecond, true, ""},
		{"second failure: the ceiling doubled", p, 2, failed, fleet.ResultFailure, retryBounds{}, 0.5, 100 * time.Millisecond, true, ""},
		{"full jitter may wait nothing", p, 2, failed, fleet.ResultFailure, retryBounds{}, 0, 0, true, ""},
		{"last retry", p, 3, failed, fleet.ResultFailure, retryBounds{}, 0.5, 200 * time.Millisecond, true, ""},
		{"retries used up", p, 4, failed, fleet.ResultFailure, retryBounds{}, 0.5, 0, false, noRetryLeft},
		{"success", p, 1, supervise.Result{}, fleet.ResultSuccess, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"a forwarded stop signal", p, 1, stopped, fleet.ResultFailure, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"timeout", p, 1, stopped, fleet.ResultTimeout, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"moved", p, 1, stopped, fleet.ResultMoved, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"lost lock", p, 1, stopped, fleet.ResultLostLock, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"killed", p, 1, stopped, fleet.ResultKilled, retryBounds{}, 0.5, 0, false, noRetryResult},
		{"died of its own signal", p, 1, supervise.Result{ExitCode: 139}, fleet.ResultFailure, retryBounds{}, 0.5, 50 * time.Millisecond, true, ""},
		{"retry-on matches", retryPolicy{retries: 1, base: time.Second, on: []int{3, 75}}, 1, failed, fleet.ResultFailure, retryBounds{}, 0.25, 250 * time.Millisecond, true, ""},
		{"retry-on does not match", retryPolicy{retries: 1, base: time.Second, on: []int{75}}, 1, failed, fleet.ResultFailure, retryBounds{}, 0.25, 0, false, noRetryCode},
		{"before the deadline", p, 1, failed, fleet.ResultFailure, retryBounds{deadline: now.Add(51 * time.Millisecond)}, 0.5, 50 * time.Millisecond, true, ""},
		{"at the deadline", p, 1, failed, fleet.ResultFailure, retryBounds{deadline: now.Add(50 * time.Millisecond)}, 0.5, 0, false, noRetryDeadline},
		{"deadline passed", p, 1, failed, fleet.ResultFailure, retryBounds{deadline: now.Add(-time.Second)}, 0, 0, false, noRetryDeadline},
		{"before the next slot", p, 1, failed, fleet.ResultFailure, retryBounds{nextSlot: now.Add(time.Second)}, 0.5, 50 * time.Millisecond, true, ""},
		{"at the next slot", p, 1, failed, fleet.ResultFailure, retryBounds{nextSlot: now.Add(50 * time.Millisecond)}, 0.5, 0, false, noRetrySlot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, again, why := tt.p.next(tt.attempt, tt.r, tt.result, now, tt.b, tt.u)
			if got != tt.want || again != tt.again || why != tt.why {
				t.Errorf("next = %s, %v, %q; want %s, %v, %q", got, again, why, tt.want, tt.again, tt.why)
			}
		})
	}
}
