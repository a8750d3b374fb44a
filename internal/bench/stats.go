package main

import (
	"math"
	"slices"
	"time"
)

// summary is the distribution of one measured quantity.
type summary struct {
	N                     int
	Median, P90, P99, Max float64
}

// summarize returns the order statistics of xs (nearest-rank percentiles, so
// every figure reported is a value that was actually measured). An empty
// sample gives N == 0 and NaNs, which the report prints as "n/a".
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		nan := math.NaN()
		return summary{Median: nan, P90: nan, P99: nan, Max: nan}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return summary{
		N:      len(s),
		Median: percentile(s, 50),
		P90:    percentile(s, 90),
		P99:    percentile(s, 99),
		Max:    s[len(s)-1],
	}
}

// percentile returns the nearest-rank p-th percentile of the sorted sample s:
// the smallest value with at least p% of the sample at or below it.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// ms converts durations to float milliseconds.
func ms(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}
