package main

import (
	"math"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed: summarize must sort
		}
		return xs
	}
	tests := []struct {
		name string
		in   []float64
		want summary
	}{
		{"one value", []float64{7}, summary{N: 1, Median: 7, P90: 7, P99: 7, Max: 7}},
		{"two values", []float64{2, 1}, summary{N: 2, Median: 1, P90: 2, P99: 2, Max: 2}},
		{"ten values", seq(10), summary{N: 10, Median: 5, P90: 9, P99: 10, Max: 10}},
		{"hundred values", seq(100), summary{N: 100, Median: 50, P90: 90, P99: 99, Max: 100}},
		{"outlier only moves max and p99", append(seq(99), 1000), summary{N: 100, Median: 50, P90: 90, P99: 99, Max: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSummarizeEmpty(t *testing.T) {
	got := summarize(nil)
	if got.N != 0 || !math.IsNaN(got.Median) || !math.IsNaN(got.Max) {
		t.Errorf("summarize(nil) = %+v, want N 0 and NaNs", got)
	}
}

func TestMs(t *testing.T) {
	got := ms([]time.Duration{1500 * time.Microsecond, 2 * time.Second})
	if got[0] != 1.5 || got[1] != 2000 {
		t.Errorf("ms = %v, want [1.5 2000]", got)
	}
}
