// Package skewclock shifts the clock a run's slot is computed on, in test
// builds only: the soak moves one simulated host's clock to check that
// hosts whose clocks disagree never run a slot twice. A switchman built
// with the build tag soakclock reads the shift from the environment
// (EnvVar); any other build ignores it, so a production binary always
// runs on the host's clock.
package skewclock

import (
	"fmt"
	"time"
)

// EnvVar names the variable a soakclock build reads: a Go duration, such
// as "-20s", added to the wall clock.
const EnvVar = "SWITCHMAN_SOAK_CLOCK_OFFSET"

// Offset parses the shift in v ("" is none).
func Offset(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a duration", EnvVar, v)
	}
	return d, nil
}

// Shifted returns a clock d ahead of the wall clock (behind when d is
// negative), or nil, the wall clock, for d 0.
func Shifted(d time.Duration) func() time.Time {
	if d == 0 {
		return nil
	}
	return func() time.Time { return time.Now().Add(d) }
}
