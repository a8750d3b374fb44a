package lock

import (
	"math/rand/v2"
	"time"
)

// The backoff between attempt rounds (a pass over every server without a
// session, or a session that a server reported expired before the command
// started). Exponential from backoffBase, doubling each round up to
// backoffCap, with full jitter: the wait is uniform in [0, ceiling). A
// burst of runs refused at the same instant (a server's maxClientCnxns or
// connection throttle at the top of the minute) then comes back spread
// over the ceiling instead of all at once again, and each run's rate of
// attempts halves round after round while the ensemble keeps refusing:
// retries thin out instead of adding up. 200 ms puts the first retry 100
// ms later on average, when the first sessions of a burst (tens of
// milliseconds of work each) have freed their connections, and the mean
// wait passes the fixed second it replaces by the fourth round. 4 s keeps
// the mean wait between late rounds (2 s) short next to the default
// start_deadline of 30 s, so a run still gets about ten rounds once the
// ceiling is reached.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 4 * time.Second
)

// backoffCeiling returns the upper bound of the wait after the round-th
// failed round (1 for the first): base·2^(round-1), at most limit. A round
// below 1 counts as 1.
func backoffCeiling(round int, base, limit time.Duration) time.Duration {
	c := base
	for i := 1; i < round && c < limit; i++ {
		c *= 2
	}
	return min(c, limit)
}

// backoffWait is the wait after the round-th failed round for the random
// draw u, which must be in [0, 1): full jitter, u times the ceiling, so
// always in [0, ceiling) and never above limit.
func backoffWait(round int, base, limit time.Duration, u float64) time.Duration {
	return time.Duration(u * float64(backoffCeiling(round, base, limit)))
}

// nextBackoff draws the wait after the round-th failed round.
func nextBackoff(round int) time.Duration {
	return backoffWait(round, backoffBase, backoffCap, rand.Float64())
}

// Backoff draws the wait after the round-th failed attempt (1 for the
// first) of any retry loop: exponential from base, at most limit, with
// full jitter (uniform in [0, base·2^(round-1))).
func Backoff(round int, base, limit time.Duration) time.Duration {
	return backoffWait(round, base, limit, rand.Float64())
}

// BackoffCeiling is the bound of Backoff's wait after the round-th failed
// attempt: base·2^(round-1), at most limit. Backoff draws below it; a
// caller that draws for itself (a table test, a log line) reads it here.
func BackoffCeiling(round int, base, limit time.Duration) time.Duration {
	return backoffCeiling(round, base, limit)
}
