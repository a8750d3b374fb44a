package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/notify"
	"github.com/acme/switchman/slot"
	"github.com/acme/switchman/supervise"
)

// Env is what a run takes from the process that runs it.
type Env struct {
	// Stderr gets the one line a human must read (a halted job's notice);
	// cron mails it.
	Stderr io.Writer
	// Getenv reads the environment (GOGC); tests replace it.
	Getenv func(string) string
	// Version is switchman's, written into lock nodes and run records.
	Version string
	// Now reads the clock a run's slot is computed on (nil: the wall
	// clock); tests replace it.
	Now func() time.Time
	// Slot, when not zero, is the slot a catch-up runs: the run claims
	// it, marked caught up, instead of the slot its start falls in.
	Slot time.Time
}

// job is what every step of one run reads and none changes: the command
// line, the config, the logger and this host's identity. What a step
// produces it returns to Run, which hands it on to the steps that need
// it. The shared state is the run's waiting (lease.go): the lease queues
// and --wait share one deadline; and its run record (rec), which every
// step from the connection to the finish brings up to date.
type job struct {
	env  Env
	opts *cmdline.Options
	cfg  *config.Config
	log  zerolog.Logger
	host string
	wait *waiting
	rec  *fleet.Recorder
	slot *slotted // nil: no --schedule
	// splayed is the --splay offset the run waited before connecting.
	splayed time.Duration
	// event is what the finished run fires, for the notify commands (nil:
	// nothing).
	event *notify.Payload
	// attempt is the command's attempt under --retry (retry.go), 1 for
	// the first; deadline is when the overall --timeout ends (zero: none
	// or not started).
	attempt  int
	deadline time.Time
	// notify are the run's notify commands: the config's notify, or the
	// notifier --notify names.
	notify []string
}

// errSkip is a check's verdict that the command must not start now: lock
// busy, host not in the group, paused, halted, started recently. The check
// logs why; the run ends quietly with the skip code.
var errSkip = errors.New("run skipped")

// Run runs the wrapper line o once, with the loaded config cfg and the
// run's logger. Every step is here, in order: connect, group, pause and
// halt, leases, lock, interval, start record, supervise, finish record,
// release. It returns nil when the command exited 0 or the run was skipped
// with status 0; an *exitcode.Error with the command's own status (or the
// skip status, or 128+N for a stop signal before the start); or the error
// that kept the command from starting or stopped it, which the caller maps
// to an exit status.
func Run(ctx context.Context, env Env, cfg *config.Config, log zerolog.Logger, o *cmdline.Options) error {
	j, err := newJob(env, cfg, log, o) // a bad command fails before ZooKeeper
	if err != nil {
		return err
	}
	stops := catchStops(ctx)
	defer stops.release()
	c, err := j.connect(stops.setup)
	j.rec = j.recorder(c)
	if err != nil {
		return j.notStarted(stops, err)
	}
	// The run's notification goes out last, after the release below.
	defer j.sendEvent(ctx)
	// Release: closing the session makes the server delete this run's
	// lock, lease and queue nodes at once, whatever path the run took.
	defer c.Close()
	// Before the checks: a spooled record may carry a halt marker.
	j.rec.Flush()
	pf := j.readPreflight(c) // group data, pause and halt markers: one round trip
	group, err := j.checkGroup(pf)
	if err == nil {
		err = j.checkPauseAndHalt(pf)
	}
	if err == nil {
		pf, group, err = j.standby(stops.setup, c, pf, group)
	}
	if err == nil {
		err = j.checkSlot(pf)
	}
	var leaseEnv string
	if err == nil {
		leaseEnv, err = j.takeLeases(stops.setup, c, group)
	}
	var held *lock.Held
	if err == nil {
		held, err = j.takeLock(stops.setup, c, pf)
	}
	if err == nil {
		err = j.checkInterval(c)
	}
	if err == nil {
		err = j.claimAfterLock(c)
	}
	if err = stops.started(err); err != nil {
		j.undoStart(c, held)
		return j.notStarted(stops, err)
	}
	kill := &killSwitch{}
	guarded, stopGuard := j.guard(ctx, c, held, group, kill)
	defer stopGuard()
	tail := j.outputTail(c) // the end of the output, for a failure's history
	child, err := j.start(held, leaseEnv, stops.caught, kill, tail)
	if err != nil {
		j.undoStart(c, held)
		return err
	}
	j.rec.Start(held, child.PID())
	return j.attempts(attempt{c: c, held: held, leaseEnv: leaseEnv, stops: stops, kill: kill, guarded: guarded}, child, tail)
}

// newJob picks this host's identity and checks the command, so that bad
// input fails before ZooKeeper is touched.
func newJob(env Env, cfg *config.Config, log zerolog.Logger, o *cmdline.Options) (*job, error) {
	for _, w := range cfg.Warnings {
		// Info, not warn: the original's config is valid as it is, and
		// a warning would reach stderr, so cron would mail it every run.
		log.Info().Str("config", cfg.Path).Msg(w)
	}
	j := &job{env: env, opts: o, cfg: cfg, log: log, wait: &waiting{}}
	j.host = cfg.Host(o.Hostname)
	var err error
	if j.notify, err = cfg.NotifyCommands(o.Notify); err != nil {
		return nil, err
	}
	if j.slot, err = newSlot(scheduleOpts{o.Schedule, o.Standby, env.Slot}, j.now(), slot.LocalZone(getenv(env))); err != nil {
		return nil, err
	}
	if err := lookCommand(o.Argv[0]); err != nil {
		return nil, err
	}
	o.Argv = cmdline.WithoutInterpreter(o.Argv)
	if cfg.TerminationTimeout > cfg.SessionTimeout/5 {
		log.Debug().Dur("termination_timeout", cfg.TerminationTimeout).
			Msg("self-fencing uses a shorter grace so the stop ends before the session can expire")
	}
	return j, nil
}

// lookCommand checks, before ZooKeeper is touched, that CMD can be found
// and run, mapping failures to the shell's exit codes.
func lookCommand(name string) error {
	_, err := exec.LookPath(name)
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", name, supervise.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", name, supervise.ErrNotExecutable)
}

// connect waits the run's splay, then opens its ZooKeeper session, or
// returns nil when the run has nothing to ask: no group, no lock, no
// lease, no interval.
func (j *job) connect(ctx context.Context) (*fleet.Client, error) {
	var err error
	if j.splayed, err = j.splay(ctx); err != nil {
		return nil, err
	}
	o := j.opts
	if o.Group == "" && o.NoLock && len(o.Leases) == 0 && o.MinInterval == 0 {
		return nil, nil
	}
	return fleet.DialRun(ctx, j.cfg, j.log)
}

// undoStart puts back what a run whose command never started had
// written: the start record that rode the lock's create, the slot claim,
// and the record a wait replaced. Every path that stops short of the
// command (a check, a refused start) goes through it.
func (j *job) undoStart(c *fleet.Client, held *lock.Held) {
	j.rec.Undo(held)
	j.unclaim(c)
	j.rec.Restore()
}

// notStarted ends a run whose command never started: a waiting record is
// put back, a stop signal that came meanwhile is reported as a shell would
// (128+N), and a skip gets the skip code.
func (j *job) notStarted(stops *stops, err error) error {
	stops.started(nil)
	if sig := stops.early(); sig != nil {
		return &exitcode.Error{Code: 128 + int(sig.sig), Err: fmt.Errorf("%s before the command started", sig)}
	}
	if errors.Is(err, errSkip) {
		return j.skipped()
	}
	return err
}

// preflight holds what the checks before the lock read: the group data
// (with its watch), the pause marker and the halt marker; and, for a run
// that takes the lock at once, the lock node's holder and the last run
// record and the job's history (see rides), which j.rec keeps.
type preflight struct {
	group    *lock.Watched
	groupErr error
	marker   string
	pause    *fleet.Pause
	pauseErr error
	halt     *fleet.Halt
	haltErr  error
	busy     *lock.BusyError
	slots    *lock.Register // the slot register, for a run that claims a slot
	slotsErr error
	// lockUnread: the run rides, but the lock node and the last record
	// were left out for a host remembered outside the group (outsideMemo).
	lockUnread bool
}

// readPreflight sends the reads the checks need at once, with the host's
// heartbeat when one is due: the client pipelines them on its one
// connection, so they cost one round trip instead of one each. The checks
// then decide in their fixed order, so what a skipped run says does not
// depend on which reply came first.
func (j *job) readPreflight(c *fleet.Client) *preflight {
	pf := &preflight{}
	if c == nil {
		return pf
	}
	var wg sync.WaitGroup
	wg.Go(j.rec.Heartbeat)
	wg.Go(func() { pf.marker, pf.pause, pf.pauseErr = c.Store().PausedBy(j.opts.LockName, j.opts.Group) })
	// A missing (mistyped) prefix fails the run before its command starts:
	// here when reading the group data, else when the lock, a queue, a
	// lease or a start claim is created under it (none of them creates
	// the prefix). The heartbeat and run records never create it either.
	if j.opts.Group != "" {
		wg.Go(func() { pf.group, pf.groupErr = lock.WatchData(c.Session(), j.cfg.Prefix) })
	}
	if j.opts.HaltOnFailure {
		wg.Go(func() { pf.halt, pf.haltErr = c.Store().Halted(j.opts.LockName) })
	}
	if j.claims() {
		wg.Go(func() { pf.slots, pf.slotsErr = lock.NewSlots(c.Session(), j.cfg.Prefix, j.opts.LockName).Read() })
	}
	pf.lockUnread = j.rides() && j.outside().exists()
	if j.rides() && !pf.lockUnread {
		wg.Go(func() { pf.busy = lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).Peek() })
		wg.Go(j.rec.ReadLast)
	}
	wg.Wait()
	return pf
}

// membership is what the group check found: the watched group data, for
// the guard, and its parse, for the leases' resources.
type membership struct {
	watched *lock.Watched
	data    *config.Data
}

// checkGroup decides whether this host is in --group. It returns nil
// when the run names no group.
func (j *job) checkGroup(pf *preflight) (*membership, error) {
	if j.opts.Group == "" {
		return nil, nil
	}
	if pf.groupErr != nil {
		return nil, pf.groupErr
	}
	memo := j.outside()
	known := memo.matches(pf.group.Data) // the same bytes said: outside
	var d *config.Data
	m := config.NotMember
	if !known {
		var err error
		if d, err = config.ParseData(j.cfg.Prefix, pf.group.Data); err != nil {
			return nil, err
		}
		if m, err = d.Membership(j.opts.Group, j.host); m == config.GroupUnknown {
			// At the start, a group the data does not define is an error
			// (a typo in --group), never a quiet skip.
			return nil, fmt.Errorf("%s: %w", j.cfg.Prefix, err)
		}
	}
	switch {
	case m == config.NotMember:
		if !known {
			memo.remember(pf.group.Data)
		}
		j.log.Info().Str("lock", j.opts.LockName).Str("group", j.opts.Group).Str("host", j.host).
			Strs("command", j.opts.Command).Msg("host not in group; not running")
		return nil, errSkip
	case pf.lockUnread:
		memo.forget()
	}
	return &membership{watched: pf.group, data: d}, nil
}

// rides says whether the run takes the lock at once, with nothing taken
// before it: its preflight then reads the lock node, so that a busy lock
// costs no create that must fail (a write on the ensemble, as the
// original never made), and the last run record, so that the start record
// travels in the lock's create (fleet.StartRecord). A run with leases or
// --wait keeps its record apart: it may have written a waiting record, and
// its lock may change hands while it waits; so does one with
// --min-interval, whose check after the lock may still skip the run.
func (j *job) rides() bool {
	return !j.opts.NoLock && !j.opts.WaitForced && len(j.opts.Leases) == 0 && j.opts.MinInterval == 0
}

// takeLock takes the lock: at once or not at all, or with --wait in a
// fair queue. It returns nil with --no-lock. Held.Rode says that the run
// record was written with the lock (see rides).
func (j *job) takeLock(ctx context.Context, c *fleet.Client, pf *preflight) (*lock.Held, error) {
	if j.opts.NoLock {
		return nil, nil
	}
	if j.opts.WaitForced {
		return j.waitForLock(ctx, c)
	}
	if pf.lockUnread {
		j.readLockState(c, pf)
	}
	var held *lock.Held
	var err error
	if pf.busy != nil {
		err = pf.busy
	} else {
		held, err = j.acquire(ctx, c)
	}
	var busy *lock.BusyError
	if errors.As(err, &busy) {
		ev := j.log.Info().Str("lock", j.opts.LockName).Str("holder_host", busy.Holder.Host).Int("holder_pid", busy.Holder.PID)
		if !busy.Holder.Start.IsZero() {
			ev = ev.Time("holder_since", busy.Holder.Start)
		}
		ev.Msg("lock busy; not running")
		return nil, errSkip
	}
	return held, err
}

// acquire takes the lock at once, with the start record in the lock's
// create when the preflight read the last one.
func (j *job) acquire(ctx context.Context, c *fleet.Client) (*lock.Held, error) {
	if j.claims() && j.rides() {
		return j.acquireSlot(ctx, c)
	}
	if rider := j.rec.Rider(); rider != nil {
		return lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).AcquireWith(ctx, j.lockInfo(), rider)
	}
	return lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).Acquire(ctx, j.lockInfo())
}

// lockInfo is what the lock node, and the queue and lease nodes, say
// about this run.
func (j *job) lockInfo() lock.Info {
	return lock.Info{
		Host: j.host, PID: os.Getpid(), Start: time.Now().UTC(), Command: j.opts.Command,
		Group: j.opts.Group, Version: j.env.Version, ExpectedDuration: durString(j.opts.ExpectedDuration),
	}
}

// skipped is the outcome of a run that did not start: exit 0 by default,
// so cron stays quiet, or the configured code.
func (j *job) skipped() error {
	code := j.cfg.SkippedExitCode
	if j.opts.SkipCode != cmdline.UnsetCode {
		code = j.opts.SkipCode
	}
	if code == 0 {
		return nil
	}
	return &exitcode.Error{Code: code}
}

// childEnv is the child's environment: ours plus what it may want to know
// about its permission.
func (j *job) childEnv(held *lock.Held, leaseEnv string) []string {
	env := append(os.Environ(), "SWITCHMAN_HOST="+j.host)
	if j.opts.Group != "" {
		env = append(env, "SWITCHMAN_GROUP="+j.opts.Group)
	}
	if held != nil {
		env = append(env, "SWITCHMAN_LOCK="+held.Path,
			"SWITCHMAN_FENCING_TOKEN="+strconv.FormatInt(held.Token, 10))
	}
	if leaseEnv != "" {
		env = append(env, "SWITCHMAN_LEASES="+leaseEnv)
	}
	return append(env, j.slotEnv()...)
}

// startupGCPause is how long a run keeps the garbage collector off. The
// ZooKeeper client allocates two 1.5 MB buffers at connect, which it never
// fills on our small requests, so the heap passes the collector's first 4
// MB goal at once: a collection per run, about 3 ms of wall time on the
// reference machine (docs/BENCHMARKS.md), for nothing in the common short
// or skipped run. A second is long past start-up; after it, a job that
// runs for hours collects as usual, so its memory stays flat.
const startupGCPause = time.Second

// PauseGC turns the collector off for the start-up of a run (see
// startupGCPause), unless GOGC is set. The caller calls it first thing, so
// that loading the config and building the logger are covered too.
func PauseGC(getenv func(string) string) { pauseGC(getenv, startupGCPause) }

// pauseGC turns the collector off for d, unless GOGC is set: an operator's
// own setting wins.
func pauseGC(getenv func(string) string, d time.Duration) {
	if getenv("GOGC") != "" {
		return
	}
	prev := debug.SetGCPercent(-1)
	time.AfterFunc(d, func() { debug.SetGCPercent(prev) })
}
