package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// ms returns the durations of ns milliseconds.
func ms(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func TestBurstOf(t *testing.T) {
	outs := []outcome{
		{Kind: kindWin, Latency: 50 * time.Millisecond, Attempts: ms(10)},
		{Kind: kindBusy, Latency: 1150 * time.Millisecond, Attempts: ms(20, 30, 1120)},
		{Kind: kindFailed, Latency: 5 * time.Second, Attempts: ms(40, 250)},
	}
	b := burstOf(outs)
	if b.Attempts != 6 || b.Retried != 2 || b.MaxPerRun != 3 {
		t.Errorf("attempts %d, retried %d, most %d; want 6, 2, 3", b.Attempts, b.Retried, b.MaxPerRun)
	}
	wantBuckets := []int{4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	wantDecided := []int{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	if !slices.Equal(b.Buckets, wantBuckets) || !slices.Equal(b.Decisions, wantDecided) {
		t.Errorf("buckets %v, decisions %v; want %v, %v", b.Buckets, b.Decisions, wantBuckets, wantDecided)
	}
	if peak, mean := b.waves(); peak != 1 || mean != 0.5 {
		t.Errorf("waves: peak %d mean %g, want 1 and 0.5", peak, mean)
	}
	h := b.histogram()
	for _, want := range []string{"| 0 | 4 / 1 | 0 / 0 | 1 / 0 |", "| 1 | 0 / 0 | 1 / 1 | |", "5 / 1 |\n"} {
		if !strings.Contains(h, want) {
			t.Errorf("histogram lacks %q:\n%s", want, h)
		}
	}
}

func TestCheckBurst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		burst string
		cnxns int
		ok    bool
	}{
		{"none", "", 0, true},
		{"one fleet", "20x10", 3, true},
		{"two fleets", "20x10,10x10", 3, false},
		{"no limit", "20x10", 0, false},
		{"bad size", "20", 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkBurst(options{Burst: tc.burst, BurstCnxns: tc.cnxns, Fraction: 0.1})
			if (err == nil) != tc.ok {
				t.Errorf("checkBurst(%q, %d) = %v, want ok %v", tc.burst, tc.cnxns, err, tc.ok)
			}
		})
	}
}

func TestRunArgsSplay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		splay time.Duration
		want  string
	}{
		{"none", 0, "-c c --hostname h -g j --lockname j -- /bin/true"},
		{"30s", 30 * time.Second, "-c c --hostname h -g j --lockname j --splay 30s -- /bin/true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(runArgs("c", "h", "j", "/bin/true", tc.splay), " "); got != tc.want {
				t.Errorf("runArgs = %q, want %q", got, tc.want)
			}
		})
	}
}
