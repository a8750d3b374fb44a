//go:build soakclock

package skewclock

import "time"

// Now is the slot clock of a soakclock build: the wall clock shifted by
// EnvVar. A value that is not a duration stops nothing; it leaves the wall
// clock.
func Now(getenv func(string) string) func() time.Time {
	d, err := Offset(getenv(EnvVar))
	if err != nil {
		return nil
	}
	return Shifted(d)
}
