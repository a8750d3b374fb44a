package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lease"
	"github.com/acme/switchman/lock"
)

// Leases (--lease) and waiting for a busy lock (--wait). Both wait in fair
// queues, and all the waiting of one run shares one deadline: the earlier
// of the config's resources_wait_timeout and --wait DURATION, counted from
// the first wait.

// waiting is what the lease and lock steps of a run share: one deadline,
// fixed at the first wait.
type waiting struct {
	started  bool
	deadline time.Time // zero: no limit
	bound    string    // what set the deadline, for the error message
}

// takeLeases takes the --lease leases in the prefix data's resources order
// and returns them as the child's SWITCHMAN_LEASES. A run whose lock name
// already waits for a resource, or whose lock is taken by another instance
// while it waits (without --wait), is skipped.
func (j *job) takeLeases(ctx context.Context, c *fleet.Client, group *membership) (string, error) {
	if len(j.opts.Leases) == 0 {
		return "", nil
	}
	leases, err := j.resolveLeases(c, group)
	if err != nil {
		return "", err
	}
	reqs := make([]lock.LeaseRequest, len(leases))
	for i, l := range leases {
		reqs[i] = lock.LeaseRequest{Resource: l.Resource, Count: l.Count, Total: l.Total}
	}
	start := time.Now()
	held, err := lock.NewSemaphores(c.Session(), j.cfg.Prefix).TakeLeases(ctx, lock.LeaseOptions{
		Name: j.opts.LockName, Leases: reqs, Info: j.lockInfo(),
		Deadline: j.waitDeadline(), Logger: j.log, OnWait: j.rec.Waiting,
		// With --wait a busy lock is waited for after the leases.
		WatchLock: !j.opts.NoLock && !j.opts.WaitForced,
	})
	if err != nil {
		return "", j.leaseError(err, leases)
	}
	// The leases are released when the session closes at the end of the
	// run: the server deletes their nodes at once.
	env := lease.Env(leases)
	j.log.Info().Str("lock", j.opts.LockName).Str("leases", env).Strs("queue_nodes", held.Queued).
		Strs("lease_nodes", held.Nodes).Int64("waited_ms", time.Since(start).Milliseconds()).Msg("leases held")
	return env, nil
}

// resolveLeases expands the specs' macros for this host and orders them by
// the prefix data's resources list.
func (j *job) resolveLeases(c *fleet.Client, group *membership) ([]lease.Lease, error) {
	m := lease.HostMacros(j.host)
	leases, err := lease.Resolve(j.opts.Leases, m)
	if err != nil {
		return nil, err
	}
	var data *config.Data
	if group != nil {
		data = group.data
	} else if data, err = c.Store().Groups(); err != nil {
		return nil, err
	}
	ordered, err := lease.Order(leases, data.Resources, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", j.cfg.Prefix, err)
	}
	return ordered, nil
}

// leaseError turns a failed TakeLeases into the run's outcome.
func (j *job) leaseError(err error, leases []lease.Lease) error {
	var busy *lock.BusyError
	var mismatch *lock.TotalMismatchError
	switch {
	case errors.As(err, &busy):
		j.log.Info().Str("lock", j.opts.LockName).Str("holder_host", busy.Holder.Host).Int("holder_pid", busy.Holder.PID).
			Msg("lock busy while waiting for leases; not running")
		return errSkip
	case errors.Is(err, lock.ErrQueued):
		j.log.Info().Str("lock", j.opts.LockName).Err(err).Msg("already queued for a lease; not running")
		return errSkip
	case errors.Is(err, lock.ErrWaitTimeout):
		j.log.Info().Str("lock", j.opts.LockName).Str("leases", lease.Env(leases)).Str("bound", j.wait.bound).
			Msg("gave up waiting for leases")
		return exitcode.Of(lock.ErrWaitTimeout, "gave up waiting for leases %s: %s reached", lease.Env(leases), j.wait.bound)
	case errors.As(err, &mismatch):
		return err
	}
	return err
}

// waitForLock takes the lock with --wait: it queues fairly behind other
// waiters and takes the lock when its holder releases it, within the run's
// wait deadline.
func (j *job) waitForLock(ctx context.Context, c *fleet.Client) (*lock.Held, error) {
	start := time.Now()
	held, err := lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).AcquireWait(ctx, j.lockInfo(),
		lock.WaitOptions{Deadline: j.waitDeadline(), Logger: j.log, OnWait: j.rec.Waiting})
	if errors.Is(err, lock.ErrWaitTimeout) {
		j.log.Info().Str("lock", j.opts.LockName).Str("bound", j.wait.bound).Msg("gave up waiting for lock")
		return nil, exitcode.Of(lock.ErrWaitTimeout, "gave up waiting for lock %s: %s reached", j.opts.LockName, j.wait.bound)
	}
	if err != nil {
		return nil, err
	}
	j.log.Debug().Str("lock", j.opts.LockName).Int64("waited_ms", time.Since(start).Milliseconds()).Msg("lock taken")
	return held, nil
}

// waitDeadline fixes, at the first wait of the run, when waiting ends: the
// earlier of resources_wait_timeout and --wait DURATION from now. Zero
// means no limit.
func (j *job) waitDeadline() time.Time {
	if j.wait.started {
		return j.wait.deadline
	}
	j.wait.started = true
	now := time.Now()
	if d := j.cfg.ResourcesWaitTimeout; d > 0 {
		j.wait.deadline, j.wait.bound = now.Add(d), "resources_wait_timeout "+d.String()
	}
	if d := j.opts.Wait; j.opts.WaitForced && d > 0 && (j.wait.deadline.IsZero() || now.Add(d).Before(j.wait.deadline)) {
		j.wait.deadline, j.wait.bound = now.Add(d), "--wait "+d.String()
	}
	return j.wait.deadline
}
