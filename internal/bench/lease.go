package main

import (
	"fmt"
	"time"

	"github.com/acme/switchman/internal/leasebench"
)

// Parameters of the lease benchmark: the 50 jobs on r=1:3, each
// child running 200 ms.
const (
	leaseJobs  = 50
	leaseTotal = 3
	leaseChild = 200 * time.Millisecond
)

// leaseRows runs the lease benchmark (internal/leasebench) rounds times:
// leaseJobs switchman processes started at once, each leasing one of
// leaseTotal slots of one resource.
func leaseRows(f *fixture, rounds int) []row {
	var wall, ratio []float64
	maxConc, violations, short := 0, 0, 0
	for range rounds {
		r, err := leasebench.Run(f.bin, f.cfg, leaseJobs, leaseTotal, leaseChild)
		if err != nil {
			return []row{failedRow("lease benchmark", err)}
		}
		wall = append(wall, float64(r.Wall.Microseconds())/1000)
		ratio = append(ratio, float64(r.Wall)/float64(r.Ideal))
		maxConc = max(maxConc, r.MaxConcurrency)
		violations += r.OrderViolations
		short += leaseJobs - r.Ran
	}
	ideal := leaseChild * leaseJobs / leaseTotal
	name := fmt.Sprintf("lease: %d jobs at once on r=1:%d, %s child", leaseJobs, leaseTotal, leaseChild)
	return []row{
		{Name: name + ": wall time", Unit: "ms", S: summarize(wall)},
		{Name: fmt.Sprintf("lease: wall ÷ ideal (%s: perfect packing, no overhead)", ideal.Round(time.Millisecond)), Unit: "×", S: summarize(ratio)},
		{Name: "lease: most children running at once, all rounds", Unit: "", S: summarize([]float64{float64(maxConc)}),
			Target: fmt.Sprintf("≤ %d", leaseTotal), Met: met(maxConc <= leaseTotal), Hard: true},
		{Name: "lease: grants out of queue order, all rounds", Unit: "", S: summarize([]float64{float64(violations)}),
			Target: "0", Met: met(violations == 0), Hard: true},
		{Name: "lease: children that did not run, all rounds", Unit: "", S: summarize([]float64{float64(short)}),
			Target: "0", Met: met(short == 0), Hard: true},
	}
}
