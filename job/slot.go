package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/slot"
)

// Slots (--schedule) and standby hosts (--standby). A run with a schedule
// has a slot (slot.Of) and claims it once fleet-wide: a claimed slot is
// skipped quietly, like a busy lock. The claim travels in the lock's
// create multi when nothing is checked after the lock (rides), so the
// winning run keeps its writes; otherwise it is made alone, after the
// last check, so that a run skipped by --min-interval never claims.

// slotted is a run's slot: when it is, its name, and what the run
// records of its schedule.
type slotted struct {
	at    time.Time
	name  string
	sched slot.Schedule
	// claim is the run's claim, made from the preflight's read of the
	// register; claimed says that it committed.
	claim   *lock.SlotClaim
	claimed bool
	// caughtUp says that a catch-up runs the slot after it was missed.
	caughtUp bool
}

// newSlot returns the slot of a run that starts at now under --schedule,
// or nil for a run without one (no --schedule, or @reboot, which has no
// firing times); a catch-up's run takes the slot it was given instead
// (Env.Slot). A bad schedule fails the run before ZooKeeper is
// touched, with an error matching cmdline.ErrUsage and crontab.ErrSchedule.
func newSlot(o scheduleOpts, now time.Time, zone string) (*slotted, error) {
	if o.spec == "" {
		return nil, nil
	}
	sched, err := crontab.Compile(o.spec)
	if err != nil {
		return nil, cmdline.Usage(fmt.Errorf("invalid --schedule: %w", err))
	}
	at := o.caughtUp
	if at.IsZero() {
		at = slot.Of(sched, now)
	}
	if at.IsZero() {
		return nil, nil
	}
	return &slotted{at: at, name: slot.Name(at), sched: slot.NewSchedule(sched, zone, o.standby), caughtUp: !o.caughtUp.IsZero()}, nil
}

// scheduleOpts are the options newSlot reads.
type scheduleOpts struct {
	spec     string
	standby  time.Duration
	caughtUp time.Time // Env.Slot
}

// now is the run's clock: Env.Now, else the wall clock.
func (j *job) now() time.Time {
	if j.env.Now != nil {
		return j.env.Now()
	}
	return time.Now()
}

// claims says whether the run claims a slot: it has one and takes the
// lock, which the claim needs (a --no-lock run only knows its slot).
func (j *job) claims() bool { return j.slot != nil && !j.opts.NoLock }

// slotKeep is how many claimed slots a job keeps.
func (j *job) slotKeep() int { return max(j.cfg.SlotsKept, 1) }

// standby makes a standby host wait for its turn (rank×--standby after
// the slot), sending nothing meanwhile, and then reads again what the
// checks read and checks again: the primary may have run the slot, or
// the group changed, while it waited. The primary, and a host whose turn
// has passed (a late start), go on at once.
func (j *job) standby(ctx context.Context, c *fleet.Client, pf *preflight, group *membership) (*preflight, *membership, error) {
	if !j.claims() || j.opts.Standby <= 0 || group == nil {
		return pf, group, nil
	}
	rank := group.data.StandbyRank(j.opts.Group, j.host)
	wait := slot.StandbyWait(j.slot.at, rank, j.opts.Standby, j.now())
	if wait <= 0 {
		return pf, group, nil
	}
	j.log.Debug().Str("lock", j.opts.LockName).Str("slot", j.slot.name).Int("standby_rank", rank).
		Dur("wait", wait).Msg("standby: waiting for the hosts before this one")
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return pf, group, context.Cause(ctx)
	}
	pf = j.readPreflight(c)
	group, err := j.checkGroup(pf)
	if err == nil {
		err = j.checkPauseAndHalt(pf)
	}
	return pf, group, err
}

// checkSlot skips a run whose slot is claimed already, or too old to
// tell (slot.Stale), and prepares its claim otherwise. A failed read of
// the register fails the run: without it the slot could run twice.
func (j *job) checkSlot(pf *preflight) error {
	if !j.claims() {
		return nil
	}
	if pf.slotsErr != nil {
		return pf.slotsErr
	}
	reg := pf.slots
	if v := slot.Decide(reg.Claimed, j.slot.name, j.slotKeep()); v != slot.Free {
		j.log.Info().Str("lock", j.opts.LockName).Str("slot", j.slot.name).Stringer("verdict", v).
			Msg("slot already run; not running")
		return errSkip
	}
	c := &lock.SlotClaim{
		Slot:  j.slot.name,
		Data:  slot.Claim{Host: j.host, Start: j.now().UTC(), CaughtUp: j.slot.caughtUp}.Marshal(),
		Prune: slot.Prune(reg.Claimed, j.slotKeep()),
		Found: reg.Found,
	}
	if !j.slot.sched.Same(reg.Data) {
		c.Record = j.slot.sched.Marshal() // only when it changed: no write otherwise
	}
	j.slot.claim = c
	return nil
}

// slotSkip turns a claim that lost (another run claimed the slot between
// the preflight's read and the claim) into a quiet skip.
func (j *job) slotSkip(err error) error {
	if !errors.Is(err, lock.ErrSlotClaimed) {
		return err
	}
	j.log.Info().Str("lock", j.opts.LockName).Str("slot", j.slot.name).Msg("slot claimed meanwhile; not running")
	return errSkip
}

// claimAfterLock claims the slot of a run whose claim did not ride the
// lock's create: one that waited for the lock or leases, or checked
// --min-interval after it.
func (j *job) claimAfterLock(c *fleet.Client) error {
	if !j.claims() || j.slot.claimed {
		return nil
	}
	if err := lock.NewSlots(c.Session(), j.cfg.Prefix, j.opts.LockName).Claim(j.slot.claim); err != nil {
		return j.slotSkip(err)
	}
	j.slot.claimed = true
	return nil
}

// unclaim gives the slot back when the command did not start after all
// (a stop signal meanwhile, a failed exec), so that a standby or a later
// run may still run it; a failure is logged only.
func (j *job) unclaim(c *fleet.Client) {
	if j.slot == nil || !j.slot.claimed || c == nil {
		return
	}
	if err := lock.NewSlots(c.Session(), j.cfg.Prefix, j.opts.LockName).Unclaim(j.slot.name); err != nil {
		j.log.Warn().Err(err).Str("slot", j.slot.name).Msg("could not give the slot back")
	}
}

// slotEnv is the child's SWITCHMAN_SLOT: the slot on the local wall
// clock, with its offset, so that a job can process "the day of its slot".
func (j *job) slotEnv() []string {
	if j.slot == nil {
		return nil
	}
	return []string{"SWITCHMAN_SLOT=" + j.slot.at.Format(time.RFC3339)}
}

// acquireSlot takes the lock with the slot's claim, and the start record
// when the preflight read the last one, in one multi.
func (j *job) acquireSlot(ctx context.Context, c *fleet.Client) (*lock.Held, error) {
	var rider lock.Rider // a nil *StartRecord is no rider
	if r := j.rec.Rider(); r != nil {
		rider = r
	}
	held, err := lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).
		AcquireSlot(ctx, j.lockInfo(), lock.NewSlots(c.Session(), j.cfg.Prefix, j.opts.LockName), j.slot.claim, rider)
	if err != nil {
		return nil, j.slotSkip(err)
	}
	j.slot.claimed = true
	return held, nil
}

// slotTime is the run record's slot (UTC; zero: none).
func (j *job) slotTime() time.Time {
	if j.slot == nil {
		return time.Time{}
	}
	return j.slot.at.UTC()
}

// getenv is env's Getenv, or the process environment's.
func getenv(env Env) func(string) string {
	if env.Getenv != nil {
		return env.Getenv
	}
	return os.Getenv
}
