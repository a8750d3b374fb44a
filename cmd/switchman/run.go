package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// stopSignals are the signals switchman forwards to the child's process
// group; it then waits for the child, releases the lock and exits.
var stopSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// job is one run of the wrapper, from config to release. Its steps read top
// to bottom in run.
type job struct {
	app  *App
	opts *runOptions
	cfg  *config.Config
	log  zerolog.Logger
	host string

	sess  *lock.Session
	store *fleet.Store // the fleet's state under the prefix, on sess
	group *lock.Watched
	data  *config.Data
	held  *lock.Held
	env   []string
	run   *fleet.Run // the run record, once written
	wait  waitState  // leases and --wait (lease.go)
	// waitRec is the record's waiting state, while the run waits.
	waitRec waitRecord
}

// runJob runs the wrapper: config -> connect -> group check -> leases ->
// lock -> supervise -> record -> release.
func runJob(ctx context.Context, app *App, o *runOptions) error {
	pauseGC(app.Getenv, startupGCPause)
	j := &job{app: app, opts: o}
	if err := j.setup(); err != nil {
		return err
	}
	// One registration of the stop signals for the whole run: until the
	// child starts, a signal aborts the run cleanly (watchSignals); after
	// that, the supervisor forwards it to the child. A signal that arrives
	// between the two stays in caught for the supervisor, so none is lost
	// and none kills switchman outright.
	caught := make(chan os.Signal, 2*len(stopSignals))
	signal.Notify(caught, stopSignals...)
	defer signal.Stop(caught)
	defer j.close()
	pre, stopWatching := watchSignals(ctx, caught)
	ran, err := j.permit(pre)
	stopWatching()
	var sig signalCause
	if errors.As(context.Cause(pre), &sig) {
		// Stopped while connecting, waiting or checking: the command
		// never started; report the signal as a shell would.
		ran, err = false, &ExitError{Code: 128 + int(sig.sig), Err: fmt.Errorf("%s before the command started", sig)}
	}
	if err != nil || !ran {
		j.restoreRecord() // a wait that ended without a run
		return err
	}
	return j.supervise(ctx, caught)
}

// setup loads the config, builds the logger and resolves the command, so
// that bad input fails before ZooKeeper is touched.
func (j *job) setup() error {
	path, err := config.Find(j.opts.Config, j.app.Getenv)
	if err != nil {
		return &ExitError{Code: ExitConfig, Err: err}
	}
	if j.cfg, err = config.Load(path); err != nil {
		return &ExitError{Code: ExitConfig, Err: err}
	}
	var closeLog func()
	if j.log, closeLog, err = newLogger(j.app, j.cfg); err != nil {
		return &ExitError{Code: ExitConfig, Err: err}
	}
	_ = closeLog // the process exits right after the run; the OS closes it
	for _, w := range j.cfg.Warnings {
		// Info, not warn: the original's config is valid as it is, and
		// a warning would reach stderr, so cron would mail it every run.
		j.log.Info().Str("config", j.cfg.Path).Msg(w)
	}
	j.host = j.identity()
	if err = lookCommand(j.opts.Argv[0]); err != nil {
		return err
	}
	if j.cfg.TerminationTimeout > j.cfg.SessionTimeout/5 {
		j.log.Debug().Dur("termination_timeout", j.cfg.TerminationTimeout).
			Msg("self-fencing uses a shorter grace so the stop ends before the session can expire")
	}
	return nil
}

func (j *job) identity() string {
	switch {
	case j.opts.Hostname != "":
		return j.opts.Hostname
	case j.cfg.Hostname != "":
		return j.cfg.Hostname
	}
	return hostFQDN()
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

// permit connects and checks, in order, group membership, leases and the
// lock. It reports false, with a nil error, for a skipped run.
func (j *job) permit(ctx context.Context) (bool, error) {
	if j.opts.Group == "" && j.opts.NoLock && len(j.opts.Leases) == 0 && j.opts.MinInterval == 0 {
		return true, nil // nothing to ask ZooKeeper
	}
	opts, err := sessionOptions(j.cfg, j.log)
	if err != nil {
		return false, err
	}
	if j.sess, err = lock.Dial(ctx, opts); err != nil {
		return false, err
	}
	j.store = fleet.New(j.sess, j.cfg.Prefix)
	pf := j.readPreflight()
	if ok, err := j.checkGroup(pf); !ok || err != nil {
		return false, err
	}
	if ok, err := j.checkPause(pf); !ok || err != nil {
		return false, err
	}
	if ok, err := j.checkHalt(pf); !ok || err != nil {
		return false, err
	}
	if ok, err := j.takeLeases(ctx); !ok || err != nil {
		return false, err
	}
	if ok, err := j.takeLock(ctx); !ok || err != nil {
		return false, err
	}
	return j.checkInterval()
}

// preflight holds what the checks before the lock read: the group data
// (with its watch), the pause marker and the halt marker.
type preflight struct {
	group    *lock.Watched
	groupErr error
	marker   string
	pause    *fleet.Pause
	pauseErr error
	halt     *fleet.Halt
	haltErr  error
}

// readPreflight sends the reads the checks need at once, with the host's
// heartbeat when one is due: the client pipelines them on its one
// connection, so they cost one round trip instead of one each. The checks
// then decide in their fixed order, so what a skipped run says does not
// depend on which reply came first.
func (j *job) readPreflight() *preflight {
	pf := &preflight{}
	var wg sync.WaitGroup
	wg.Go(j.heartbeat)
	if j.opts.Group != "" {
		wg.Go(func() { pf.group, pf.groupErr = j.sess.WatchData(j.cfg.Prefix) })
	}
	wg.Go(func() {
		pf.marker, pf.pause, pf.pauseErr = j.store.PausedBy(j.opts.LockName, j.opts.Group)
	})
	if j.opts.HaltOnFailure {
		wg.Go(func() { pf.halt, pf.haltErr = j.store.Halted(j.opts.LockName) })
	}
	wg.Wait()
	return pf
}

func (j *job) checkGroup(pf *preflight) (bool, error) {
	if j.opts.Group == "" {
		return true, nil
	}
	if pf.groupErr != nil {
		return false, pf.groupErr
	}
	j.group = pf.group
	var err error
	if j.data, err = config.ParseData(j.cfg.Prefix, j.group.Data); err != nil {
		return false, &ExitError{Code: ExitDataErr, Err: err}
	}
	ok, err := j.data.HasMember(j.opts.Group, j.host)
	if err != nil {
		return false, &ExitError{Code: ExitDataErr, Err: fmt.Errorf("%s: %w", j.cfg.Prefix, err)}
	}
	if !ok {
		j.log.Info().Str("lock", j.opts.LockName).Str("group", j.opts.Group).Str("host", j.host).
			Strs("command", j.opts.Command).Msg("host not in group; not running")
		return false, j.skipped()
	}
	return true, nil
}

func (j *job) takeLock(ctx context.Context) (bool, error) {
	if j.opts.NoLock {
		return true, nil
	}
	if j.opts.WaitForced {
		return j.waitForLock(ctx)
	}
	var err error
	j.held, err = j.sess.Acquire(ctx, j.cfg.Prefix, j.opts.LockName, j.lockInfo())
	var busy *lock.BusyError
	if errors.As(err, &busy) {
		ev := j.log.Info().Str("lock", j.opts.LockName).Str("holder_host", busy.Holder.Host).Int("holder_pid", busy.Holder.PID)
		if !busy.Holder.Start.IsZero() {
			ev = ev.Time("holder_since", busy.Holder.Start)
		}
		ev.Msg("lock busy; not running")
		return false, j.skipped()
	}
	return err == nil, err
}

// lockInfo is what the lock node, and the queue and lease nodes, say
// about this run.
func (j *job) lockInfo() lock.Info {
	return lock.Info{
		Host: j.host, PID: os.Getpid(), Start: time.Now().UTC(), Command: j.opts.Command,
		Group: j.opts.Group, Version: version, ExpectedDuration: durString(j.opts.ExpectedDuration),
	}
}

// skipped is the outcome of a run that did not start: exit 0 by default,
// so cron stays quiet, or the configured code.
func (j *job) skipped() error {
	code := j.cfg.SkippedExitCode
	if j.opts.SkipCode != unsetCode {
		code = j.opts.SkipCode
	}
	if code == 0 {
		return nil
	}
	return &ExitError{Code: code}
}

// childEnv is the child's environment: ours plus what it may want to know
// about its permission.
func (j *job) childEnv() []string {
	env := append(os.Environ(), "SWITCHMAN_HOST="+j.host)
	if j.opts.Group != "" {
		env = append(env, "SWITCHMAN_GROUP="+j.opts.Group)
	}
	if j.held != nil {
		env = append(env, "SWITCHMAN_LOCK="+j.held.Path,
			"SWITCHMAN_FENCING_TOKEN="+strconv.FormatInt(j.held.Token, 10))
	}
	return append(env, j.env...)
}

func (j *job) close() {
	if j.sess != nil {
		j.sess.Close() // releases the lock and leases: ephemeral nodes of this session only
	}
}

// signalCause is the cause of the set-up context when a stop signal arrived.
type signalCause struct{ sig syscall.Signal }

func (s signalCause) Error() string { return "stopped by " + unix.SignalName(s.sig) }

// watchSignals returns a context cancelled, with a signalCause, by the
// first signal from caught. stop ends the watching and waits for it to
// end, so that every later signal stays in caught for the supervisor.
func watchSignals(ctx context.Context, caught <-chan os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case s := <-caught:
			cancel(signalCause{s.(syscall.Signal)})
		case <-quit:
		}
	}()
	return ctx, func() {
		close(quit)
		<-done
		cancel(nil) // keeps a signal's cause if one came first
	}
}

// startupGCPause is how long a run keeps the garbage collector off. The
// ZooKeeper client allocates two 1.5 MB buffers at connect, which it never
// fills on our small requests, so the heap passes the collector's first 4
// MB goal at once: a collection per run, about 3 ms of wall time on the
// reference machine (docs/BENCHMARKS.md), for nothing in the common short
// or skipped run. A second is long past start-up; after it, a job that
// runs for hours collects as usual, so its memory stays flat.
const startupGCPause = time.Second

// pauseGC turns the collector off for d, unless GOGC is set: an operator's
// own setting wins.
func pauseGC(getenv func(string) string, d time.Duration) {
	if getenv("GOGC") != "" {
		return
	}
	prev := debug.SetGCPercent(-1)
	time.AfterFunc(d, func() { debug.SetGCPercent(prev) })
}
