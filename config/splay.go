package config

import (
	"errors"
	"fmt"
	"time"
)

// MaxSplay is the longest splay (--splay, the splay key of the config and
// of METADATA). A splay spreads the runs of one tick over a window; one
// longer than an hour keeps a wrapper asleep, holding no session and
// visible nowhere in the fleet's state, for longer than the period of
// most schedules it would spread, so a reboot or a deploy meanwhile loses
// the run without a trace.
const MaxSplay = time.Hour

// CheckSplay checks a splay's value: from 0 (none) to MaxSplay.
func CheckSplay(d time.Duration) error {
	switch {
	case d < 0:
		return errors.New("must not be negative")
	case d > MaxSplay:
		return errors.New("must be at most 1h") // MaxSplay
	}
	return nil
}

// ParseSplay parses a splay written as a Go duration with its unit
// ("30s", "2m"; "0" is none) and checks it (CheckSplay). A bare number is
// refused: seconds or minutes would both be plausible.
func ParseSplay(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration with a unit like 30s or 2m", s)
	}
	if err := CheckSplay(d); err != nil {
		return 0, fmt.Errorf("%q %w", s, err)
	}
	return d, nil
}
