package lock

import (
	"testing"
	"time"
)

// TestBackoffWait checks the backoff schedule: the ceiling doubles from
// the base each round up to the cap, and the wait is the draw times the
// ceiling, so always in [0, ceiling) and never above the cap.
func TestBackoffWait(t *testing.T) {
	const base, limit = 200 * time.Millisecond, 4 * time.Second
	tests := []struct {
		name  string
		round int
		u     float64
		want  time.Duration
	}{
		{"first round, no wait drawn", 1, 0, 0},
		{"first round, half", 1, 0.5, 100 * time.Millisecond},
		{"first round, just under the ceiling", 1, 0.999, 199800 * time.Microsecond},
		{"round below 1 counts as the first", 0, 0.5, 100 * time.Millisecond},
		{"second round doubles", 2, 0.5, 200 * time.Millisecond},
		{"fourth round", 4, 0.5, 800 * time.Millisecond},
		{"fifth round", 5, 0.5, 1600 * time.Millisecond},
		{"sixth round reaches the cap", 6, 0.5, 2 * time.Second},
		{"capped", 7, 0.5, 2 * time.Second},
		{"capped far out, no overflow", 1000, 0.999, 3996 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoffWait(tt.round, base, limit, tt.u); got != tt.want {
				t.Errorf("backoffWait(%d, u=%v) = %v, want %v", tt.round, tt.u, got, tt.want)
			}
		})
	}
}

// TestBackoffJitter draws the real schedule many times per round: every
// wait lies in [0, ceiling), the ceiling never passes backoffCap, and the
// waits spread over the whole interval (full jitter: both its lowest and
// its highest tenth are drawn), so runs refused together come back apart.
func TestBackoffJitter(t *testing.T) {
	for round := 1; round <= 12; round++ {
		ceiling := backoffCeiling(round, backoffBase, backoffCap)
		if ceiling > backoffCap || ceiling <= 0 {
			t.Fatalf("round %d: ceiling %v outside (0, %v]", round, ceiling, backoffCap)
		}
		low, high := false, false
		for range 2000 {
			d := nextBackoff(round)
			if d < 0 || d >= ceiling {
				t.Fatalf("round %d: wait %v outside [0, %v)", round, d, ceiling)
			}
			low = low || d < ceiling/10
			high = high || d >= ceiling-ceiling/10
		}
		if !low || !high {
			t.Errorf("round %d: 2000 waits never reached the lowest (%v) or highest (%v) tenth of [0, %v)", round, low, high, ceiling)
		}
	}
}
