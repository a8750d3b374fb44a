package main

import (
	"reflect"
	"testing"
	"time"
)

// TestPlan: a seed replays its schedule; faults never overlap and stay
// within the run; the burst comes exactly once; an hour draws every kind.
func TestPlan(t *testing.T) {
	const s = 4 * time.Second
	tests := []struct {
		name      string
		seed      uint64
		d         time.Duration
		everyKind bool
		minFaults int
	}{
		{"make test's 3 minutes", 1, 3 * time.Minute, false, 12},
		{"another seed", 7, 3 * time.Minute, false, 12},
		{"the release hour", 1, time.Hour, true, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Plan(tt.seed, tt.d, s)
			if again := Plan(tt.seed, tt.d, s); !reflect.DeepEqual(p, again) {
				t.Fatal("the same seed gave two schedules")
			}
			if len(p) < tt.minFaults {
				t.Errorf("%d faults, want at least %d", len(p), tt.minFaults)
			}
			var end time.Duration
			for i, f := range p {
				if f.At < end+minGap || f.At+f.Dur > tt.d {
					t.Errorf("fault %d %s overlaps the previous one (ends t+%s) or the end of the run", i, f, end)
				}
				end = f.At + f.Dur
			}
			c := Counts(p)
			if c[Burst] != 1 {
				t.Errorf("%d bursts, want 1", c[Burst])
			}
			for _, k := range Kinds() {
				if tt.everyKind && c[k] == 0 {
					t.Errorf("no %q in the schedule", k)
				}
			}
		})
	}
	if reflect.DeepEqual(Plan(1, time.Hour, s), Plan(2, time.Hour, s)) {
		t.Error("seeds 1 and 2 gave the same schedule")
	}
}

func TestDurations(t *testing.T) {
	const s = 4 * time.Second
	tests := []struct {
		kind     Kind
		min, max time.Duration
	}{
		{PartitionShort, 0, s / 3},
		{PartitionLong, s, 2 * s},
		{WrapperStop, 0, s / 3},
		{WrapperFreeze, s, 3 * s},
		{WrapperKill, 0, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			for _, f := range Plan(3, time.Hour, s) {
				if f.Kind == tt.kind && (f.Dur < tt.min || f.Dur > tt.max) {
					t.Errorf("%s lasts %s, want %s..%s", f.Kind, f.Dur, tt.min, tt.max)
				}
			}
		})
	}
}

// TestClockOffset: a jump stays within slot_skew's default (60 s), goes
// both ways, and one draw in three sets the clock back to true.
func TestClockOffset(t *testing.T) {
	counts := map[string]int{}
	for target := range 1 << 16 {
		d := ClockOffset(target)
		switch {
		case d == 0:
			counts["true"]++
		case d > 0:
			counts["ahead"]++
		default:
			counts["behind"]++
		}
		if a := max(d, -d); a != 0 && (a < 5*time.Second || a > 45*time.Second) {
			t.Fatalf("ClockOffset(%d) = %s, want 0 or 5 to 45 s either way", target, d)
		}
	}
	if counts["ahead"] == 0 || counts["behind"] == 0 || counts["true"] < (1<<16)/4 {
		t.Errorf("offsets over every target: %v; want some ahead, some behind and a third true", counts)
	}
}
