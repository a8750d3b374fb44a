package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// burstBucket is the histogram's bucket: short enough to show a wave of
// retries (go-zookeeper's own retry comes back after a fixed second),
// long enough to hold a few attempts each.
const burstBucket = 100 * time.Millisecond

// checkBurst checks -burst and -burst-cnxns.
func checkBurst(o options) error {
	if o.Burst == "" {
		return nil
	}
	if o.BurstCnxns < 1 {
		return fmt.Errorf("-burst-cnxns %d: want at least 1", o.BurstCnxns)
	}
	if _, err := parseSizes(o.Burst, o.Fraction); err != nil || strings.Contains(o.Burst, ",") {
		return fmt.Errorf("-burst %q: want one fleet, HOSTSxJOBS, e.g. 20x10", o.Burst)
	}
	return nil
}

// fireBurst fires the -burst fleet at an ensemble with local sessions
// whose servers refuse connections past -burst-cnxns: one warm-up tick
// and one measured tick, each run's connection attempts traced.
func fireBurst(ctx context.Context, o options, dir string) (*setupResult, error) {
	fleets, err := parseSizes(o.Burst, o.Fraction)
	if err != nil {
		return nil, err
	}
	bo := o
	bo.Bin, bo.Splay, bo.Repeat = "", 0, 1 // the check's held lock would take a connection
	res, err := simulate(ctx, setup{Local: true, MaxCnxns: o.BurstCnxns}, fleets, bo, dir)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// burstStats is what a traced tick's connection attempts add up to.
type burstStats struct {
	Attempts int
	// Retried counts the runs that took more than one attempt; MaxPerRun
	// is the most one run took.
	Retried, MaxPerRun int
	// Buckets counts the attempts, and Decisions the decided runs, per
	// burstBucket from the tick.
	Buckets, Decisions []int
}

// burstOf adds up outs.
func burstOf(outs []outcome) burstStats {
	var b burstStats
	add := func(h *[]int, d time.Duration) {
		i := max(int(d/burstBucket), 0)
		for len(*h) <= i {
			*h = append(*h, 0)
		}
		(*h)[i]++
	}
	for _, o := range outs {
		b.Attempts += len(o.Attempts)
		b.MaxPerRun = max(b.MaxPerRun, len(o.Attempts))
		if len(o.Attempts) > 1 {
			b.Retried++
		}
		for _, a := range o.Attempts {
			add(&b.Buckets, a)
		}
		if o.Kind != kindFailed {
			add(&b.Decisions, o.Latency+o.Waited+o.Offset)
		}
	}
	n := max(len(b.Buckets), len(b.Decisions))
	b.Buckets = append(b.Buckets, make([]int, n-len(b.Buckets))...)
	b.Decisions = append(b.Decisions, make([]int, n-len(b.Decisions))...)
	return b
}

// waves returns the most attempts in one bucket after the first second,
// and the mean over those buckets: retries that come back together (a
// fixed retry delay) show as peaks far above the mean every second, a
// spread-out retry as a peak near it.
func (b burstStats) waves() (peak int, mean float64) {
	per := int(time.Second / burstBucket)
	if len(b.Buckets) <= per {
		return 0, 0
	}
	rest := b.Buckets[per:]
	sum := 0
	for _, n := range rest {
		sum += n
	}
	return slices.Max(rest), float64(sum) / float64(len(rest))
}

// histogram renders the buckets a second per row, a bucket per column:
// "attempts / decided".
func (b burstStats) histogram() string {
	var s strings.Builder
	per := int(time.Second / burstBucket)
	s.WriteString("| s |")
	for i := range per {
		fmt.Fprintf(&s, " +%d ms |", i*int(burstBucket/time.Millisecond))
	}
	fmt.Fprintf(&s, " attempts / decided |\n|--:|%s--:|\n", strings.Repeat("--:|", per))
	for row := 0; row*per < len(b.Buckets); row++ {
		fmt.Fprintf(&s, "| %d |", row)
		att, dec := 0, 0
		for i := row * per; i < (row+1)*per; i++ {
			if i >= len(b.Buckets) {
				s.WriteString(" |")
				continue
			}
			fmt.Fprintf(&s, " %d / %d |", b.Buckets[i], b.Decisions[i])
			att, dec = att+b.Buckets[i], dec+b.Decisions[i]
		}
		fmt.Fprintf(&s, " %d / %d |\n", att, dec)
	}
	return s.String()
}
