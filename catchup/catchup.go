// Package catchup runs, later and once, the slots that no host ran: the
// box was down at the minute, its cron dead, ZooKeeper unreachable. It
// reads the switchman lines of a cron.d directory; for each line with
// --catch-up it runs the latest missed slot within the window (slot.Missed,
// never a backlog) through the normal run path (job.Run: group, pause,
// lock, slot claim, leases, records), so that a catch-up and a regular run
// of one slot race on one claim and only one of them runs it. It also
// records the schedule of every line with --schedule, so that `check
// missed` and `status` know every scheduled job, run or not.
package catchup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/slot"
)

// DefaultDir is where cron reads its cron.d files, and catch-up with it.
const DefaultDir = "/etc/cron.d"

// ErrNoFile is returned (wrapped, with the name, and matching
// cmdline.ErrUsage) when a file named in Options.Files is not a cron.d
// file of the directory.
var ErrNoFile = errors.New("catchup: no such cron.d file")

// Options say where catch-up looks and how it runs jobs.
type Options struct {
	// Dir is the cron.d directory (DefaultDir when empty).
	Dir string
	// Files, when set, are the names of the files of Dir to read, the
	// others left alone: a package's catch-up entry names its own file
	// (crontabgen), so the files of two packages are not caught up twice.
	Files []string
	// User is the user catch-up runs as: a line of another user is not
	// run, since its command would run as this one (root, typically); ""
	// (unknown) runs no line that names a user.
	User string
	// Load loads the config a line names with --config ("": the
	// default), as the wrapper finds and loads it.
	Load func(path string) (*config.Config, error)
	// Env is handed to each run (its Slot is set per run).
	Env job.Env
	// Now is the clock (nil: the wall clock); tests replace it.
	Now func() time.Time
}

// Outcome is what catch-up did with one wrapper line.
type Outcome struct {
	File string
	Line int
	Lock string
	// Slot is the missed slot it ran (zero: none to run).
	Slot time.Time
	// Err is why the line could not be looked at or its run failed.
	Err error
}

// Run reads the cron.d files of o.Dir and catches up each line's latest
// missed slot, one run after another, in file and line order. It returns
// what it did per wrapper line with --schedule, and the errors joined (a
// failed line does not stop the others). Files cron ignores (names with
// a dot, say) are not read.
func Run(ctx context.Context, o Options, log zerolog.Logger) ([]Outcome, error) {
	dir := o.Dir
	if dir == "" {
		dir = DefaultDir
	}
	names, err := cronFiles(dir, o.Files)
	if err != nil {
		return nil, err
	}
	c := &catcher{o: o, log: log, clients: map[string]*conn{}}
	defer c.close()
	var outs []Outcome
	var errs []error
	for _, name := range names {
		file := filepath.Join(dir, name)
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, w := range crontab.Wrappers(file, data, crontab.FormatSystem) {
			if w.Options.Schedule == "" || w.Options.NoLock {
				continue
			}
			out := c.line(ctx, w)
			out.File = file
			if out.Err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %w", file, w.Line, out.Err))
			}
			outs = append(outs, out)
		}
	}
	return outs, errors.Join(errs...)
}

// cronFiles lists the files of dir that cron reads, in name order, or
// checks the names given: each must be such a file of dir.
func cronFiles(dir string, only []string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read cron.d directory: %w", err)
	}
	cron := map[string]bool{}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && crontab.ValidCronDName(e.Name()) {
			cron[e.Name()] = true
			names = append(names, e.Name())
		}
	}
	if len(only) == 0 {
		return names, nil
	}
	for _, name := range only {
		if !cron[name] {
			return nil, cmdline.Usage(fmt.Errorf("%w: %q is not a file cron reads in %s (a name of A-Z a-z 0-9 _ - there)", ErrNoFile, name, dir))
		}
	}
	return only, nil
}

// catcher is one catch-up: its options and its sessions, one per config.
type catcher struct {
	o       Options
	log     zerolog.Logger
	clients map[string]*conn
}

// conn is a config and its session.
type conn struct {
	cfg    *config.Config
	client *fleet.Client
}

func (c *catcher) close() {
	for _, cn := range c.clients {
		cn.client.Close()
	}
}

func (c *catcher) now() time.Time {
	if c.o.Now != nil {
		return c.o.Now()
	}
	return time.Now()
}

// connect returns the session of the config a line names, made once.
func (c *catcher) connect(ctx context.Context, path string) (*conn, error) {
	if cn := c.clients[path]; cn != nil {
		return cn, nil
	}
	cfg, err := c.o.Load(path)
	if err != nil {
		return nil, err
	}
	cl, err := fleet.DialConfig(ctx, cfg, c.log)
	if err != nil {
		return nil, err
	}
	cn := &conn{cfg: cfg, client: cl}
	c.clients[path] = cn
	return cn, nil
}

// line records one line's schedule and catches up its missed slot.
func (c *catcher) line(ctx context.Context, w crontab.Wrapper) Outcome {
	o := w.Options
	out := Outcome{Line: w.Line, Lock: o.LockName}
	sched, err := crontab.Compile(o.Schedule)
	if err != nil {
		out.Err = cmdline.Usage(fmt.Errorf("invalid --schedule: %w", err))
		return out
	}
	cn, err := c.connect(ctx, o.Config)
	if err != nil {
		out.Err = err
		return out
	}
	sl := lock.NewSlots(cn.client.Session(), cn.cfg.Prefix, o.LockName)
	reg, err := sl.Read()
	if err != nil {
		out.Err = err
		return out
	}
	rec := slot.NewSchedule(sched, slot.LocalZone(getenv(c.o.Env)), o.Standby)
	if !reg.Found || !rec.Same(reg.Data) {
		if out.Err = sl.Record(reg, rec.Marshal()); out.Err != nil {
			return out
		}
	}
	if o.CatchUp <= 0 {
		return out
	}
	at, ok := slot.Missed(sched, o.CatchUp, slot.Grace(cn.cfg.SlotSkew, o.Standby), reg.Claimed, max(cn.cfg.SlotsKept, 1), c.now())
	if !ok {
		return out
	}
	// An unknown own user matches no line's: never run another user's
	// command as this one.
	if w.User != "" && w.User != c.o.User {
		// Info, not a warning: cron would mail it at every catch-up; the
		// line's own user's catch-up runs it.
		c.log.Info().Str("lock", o.LockName).Str("user", w.User).Str("slot", slot.Name(at)).
			Msgf("missed slot not caught up here: the line runs as %s, catch-up as %s", w.User, c.o.User)
		return out
	}
	return c.run(ctx, cn.cfg, o, at, out)
}

// run runs the line's command for the missed slot at, through the normal
// run path.
func (c *catcher) run(ctx context.Context, cfg *config.Config, o *cmdline.Options, at time.Time, out Outcome) Outcome {
	c.log.Info().Str("lock", o.LockName).Str("slot", slot.Name(at)).Msg("catching up a missed slot")
	env := c.o.Env
	env.Slot = at
	out.Slot = at
	out.Err = job.Run(ctx, env, cfg, c.log, o)
	return out
}

// getenv is env's Getenv, or the process environment's.
func getenv(env job.Env) func(string) string {
	if env.Getenv != nil {
		return env.Getenv
	}
	return os.Getenv
}
