package main

import (
	"maps"
	"slices"
	"time"
)

// latency is the distribution of the times from the tick to the decision.
type latency struct {
	N             int
	P50, P99, Max time.Duration
}

// rank returns the nearest-rank p-th percentile of sorted (the smallest
// value with at least p% of the sample at or below it): every figure
// reported is a time that was measured.
func rank(sorted []time.Duration, p int) time.Duration {
	i := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(i, 1)-1]
}

// latencyOf summarizes ds; an empty sample gives N == 0.
func latencyOf(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return latency{N: len(s), P50: rank(s, 50), P99: rank(s, 99), Max: s[len(s)-1]}
}

// tally is what one tick's outcomes add up to.
type tally struct {
	Runs    int
	Decided int
	Kinds   map[kind]int
	// Failed counts the undecided runs by exit status.
	Failed map[string]int
	// Latency covers the decided runs.
	Latency latency
	// FromOffset covers them from the tick plus their splay offset, the
	// start of their wait included; Waited, from the tick to the start
	// of their wait; Settled, their Latency for the runs whose wait ended
	// after every run had started its own (the tick's parse-and-load
	// burst, which a fleet's hosts do not share, was over). Splayed runs
	// only.
	FromOffset, Waited, Settled latency
}

// tallyOf adds up outcomes.
func tallyOf(outs []outcome) tally {
	t := tally{Runs: len(outs), Kinds: map[kind]int{}, Failed: map[string]int{}}
	var ds, from, waited []time.Duration
	var lastWait time.Duration
	for _, o := range outs {
		if o.Offset > 0 {
			lastWait = max(lastWait, o.Waited)
		}
	}
	var settled []time.Duration
	for _, o := range outs {
		t.Kinds[o.Kind]++
		if o.Kind == kindFailed {
			t.Failed[o.Status]++
			continue
		}
		t.Decided++
		ds = append(ds, o.Latency)
		if o.Offset > 0 {
			from, waited = append(from, o.Waited+o.Latency), append(waited, o.Waited)
			if o.Waited+o.Offset > lastWait {
				settled = append(settled, o.Latency)
			}
		}
	}
	t.Latency, t.FromOffset, t.Waited, t.Settled = latencyOf(ds), latencyOf(from), latencyOf(waited), latencyOf(settled)
	return t
}

// failedStatuses returns the statuses of failed runs in order.
func (t tally) failedStatuses() []string {
	return slices.Sorted(maps.Keys(t.Failed))
}
