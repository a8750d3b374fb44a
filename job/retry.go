package job

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// Retries (--retry). A failed command is run again on this host, under
// the lock, leases and slot claim the run already holds, after a backoff:
// exponential from --retry-backoff, with full jitter, capped. Each attempt
// writes its own run record and history entry with its attempt number; an
// attempt followed by another is marked retried, so that it fires no
// event and sets no halt marker: only the final outcome does. Retries stop
// at the overall --timeout, at the next --schedule slot, when permission
// is lost (the guard keeps watching the lock and the group through the
// backoff), and at a stop signal or a kill request.

// retryPolicy is a run's --retry, --retry-backoff and --retry-on.
type retryPolicy struct {
	retries int
	base    time.Duration
	on      []int // nil: every failure but a stop's
}

// retryBounds are the instants no attempt may start at or after.
type retryBounds struct {
	deadline time.Time // --timeout counted from the first start; zero: none
	nextSlot time.Time // the --schedule slot after the run's; zero: none
}

// Why no further attempt starts, for the log.
const (
	noRetryAsked    = ""
	noRetryResult   = "result is not retried"
	noRetryCode     = "exit status not in --retry-on"
	noRetryLeft     = "no retries left"
	noRetryDeadline = "--timeout would pass"
	noRetrySlot     = "the next slot would begin"
)

// ceiling is the bound of the wait after the attempt-th failed attempt
// (1 for the first): --retry-backoff doubled for each attempt before,
// capped at cmdline.MaxRetryBackoff, or at --retry-backoff when larger.
func (p retryPolicy) ceiling(attempt int) time.Duration {
	return lock.BackoffCeiling(attempt, p.base, max(p.base, cmdline.MaxRetryBackoff))
}

// next decides, from how the attempt-th attempt ended (result, as
// job.outcome classified r), whether another starts and after which
// wait: u (in [0, 1)) times the ceiling, full jitter. A retry needs a
// failure the run did not cause itself (a stop signal it forwarded,
// --timeout, a lost lock, a move, a kill: r.Stopped), an exit status in
// --retry-on, a retry left, and its start before the bounds at now. It
// returns why not otherwise (noRetryAsked when --retry is not given).
func (p retryPolicy) next(attempt int, r supervise.Result, result string, now time.Time, b retryBounds, u float64) (time.Duration, bool, string) {
	switch {
	case p.retries == 0:
		return 0, false, noRetryAsked
	case result != fleet.ResultFailure || r.Stopped:
		return 0, false, noRetryResult
	case p.on != nil && !slices.Contains(p.on, r.ExitCode):
		return 0, false, noRetryCode
	case attempt > p.retries:
		return 0, false, noRetryLeft
	}
	wait := time.Duration(u * float64(p.ceiling(attempt)))
	at := now.Add(wait)
	switch {
	case !b.deadline.IsZero() && !at.Before(b.deadline):
		return 0, false, noRetryDeadline
	case !b.nextSlot.IsZero() && !at.Before(b.nextSlot):
		return 0, false, noRetrySlot
	}
	return wait, true, ""
}

// retryPolicy is the run's policy from its options.
func (j *job) retryPolicy() retryPolicy {
	return retryPolicy{retries: j.opts.Retry, base: j.opts.RetryBackoff, on: j.opts.RetryOn}
}

// retryBounds are the run's bounds: its overall --timeout (from the
// first start, see attemptTimeout) and the slot after its own.
func (j *job) retryBounds() retryBounds {
	b := retryBounds{deadline: j.deadline}
	if j.slot == nil {
		return b
	}
	// The schedule compiled when the run began; it cannot fail here.
	if sched, err := crontab.Compile(j.opts.Schedule); err == nil {
		b.nextSlot = sched.Next(j.slot.at)
	}
	return b
}

// attemptTimeout is the --timeout of the next attempt: all of it for the
// first, which fixes the run's deadline, and what is left of it for a
// retry (at least a millisecond: 0 would mean no timeout).
func (j *job) attemptTimeout() time.Duration {
	if j.opts.Timeout <= 0 {
		return 0
	}
	if j.deadline.IsZero() {
		j.deadline = time.Now().Add(j.opts.Timeout)
		return j.opts.Timeout
	}
	return max(time.Until(j.deadline), time.Millisecond)
}

// attempt is what every attempt of the command runs with: the session,
// the lock and leases held, the stop signals and the kill switch.
type attempt struct {
	c        *fleet.Client
	held     *lock.Held
	leaseEnv string
	stops    *stops
	kill     *killSwitch
	guarded  context.Context
}

// attempts waits for the started child, records its finish and, while
// the policy says so, runs the command again after the backoff. It
// returns the run's outcome: the last attempt's, or why the backoff ended
// early.
func (j *job) attempts(a attempt, child *supervise.Child, tail *supervise.Tail) error {
	p, b := j.retryPolicy(), j.retryBounds()
	defer j.watchOverdue(a, time.Now())()
	for j.attempt = 1; ; j.attempt++ {
		res := child.Wait(a.guarded)
		result, _ := j.outcome(res)
		wait, again, why := p.next(j.attempt, res, result, time.Now(), b, rand.Float64())
		if again && a.guarded.Err() != nil {
			again, why = false, "permission lost"
		}
		err := j.finish(res, tail, again)
		if !again {
			if why != noRetryAsked && result == fleet.ResultFailure {
				j.log.Info().Str("lock", j.opts.LockName).Int("attempt", j.attempt).Str("reason", why).Msg("no further attempt")
			}
			return err
		}
		j.log.Info().Str("lock", j.opts.LockName).Int("attempt", j.attempt).Int64("backoff_ms", wait.Milliseconds()).
			Int64("backoff_ceiling_ms", p.ceiling(j.attempt).Milliseconds()).Msg("retrying after backoff")
		if stop := j.backoff(a, wait); stop != nil {
			return stop(err)
		}
		j.rec.Retry()
		tail = j.outputTail(a.c)
		if child, err = j.start(a.held, a.leaseEnv, a.stops.caught, a.kill, tail); err != nil {
			return err
		}
		j.rec.Start(a.held, child.PID())
	}
}

// backoff waits d before the next attempt. It returns nil when the wait
// ran out, or, when something ended the run meanwhile, what turns the
// last attempt's outcome into the run's: a stop signal gives 128+N, as
// before a start; a move ends it quietly with the status of a move while
// the command runs; a kill request keeps the attempt's status; a lost lock
// or session is an error.
func (j *job) backoff(a attempt, d time.Duration) func(last error) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-a.guarded.Done():
		cause := context.Cause(a.guarded)
		if plannedStop(cause) {
			// As quiet as a move while the command runs, with the same
			// status: a permission ended.
			j.log.Info().Str("lock", j.opts.LockName).AnErr("cause", cause).Msg("permission ended during the retry backoff; no further attempt")
			return func(error) error { return exitcode.Silent(cause) }
		}
		return func(error) error {
			return fmt.Errorf("%s: no further attempt after the retry backoff: %w", j.opts.LockName, cause)
		}
	case s := <-a.stops.caught:
		sig := s.(syscall.Signal)
		return func(error) error {
			return &exitcode.Error{Code: 128 + int(sig), Err: fmt.Errorf("%s during the retry backoff; no further attempt", signalCause{sig})}
		}
	}
	if a.kill.requested() {
		j.log.Info().Str("lock", j.opts.LockName).Msg("kill requested during the retry backoff; no further attempt")
		return func(last error) error { return last }
	}
	return nil
}
