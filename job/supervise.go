package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// start starts the command under supervision: in its own process group
// behind the shim, with the stop signals caught for it. A kill request the
// guard saw before the start is served as soon as the child exists.
func (j *job) start(held *lock.Held, leaseEnv string, caught <-chan os.Signal, kill *killSwitch, tail *supervise.Tail) (*supervise.Child, error) {
	// Orphans that escape the child's process group (setsid) are
	// reparented to us, so that the stop can find and kill them too.
	if err := supervise.EnableSubreaper(); err != nil {
		j.log.Warn().Err(err).Msg("cannot become a child subreaper; setsid'd descendants may outlive a stop")
	}
	var out, errOut io.Writer // nil: the child gets our own stdout and stderr
	if tail != nil {
		out, errOut = tail.Tee(os.Stdout), tail.Tee(os.Stderr)
	}
	child, err := supervise.Start(supervise.Options{
		Path: j.opts.Argv[0], Args: j.opts.Argv[1:], Env: j.childEnv(held, leaseEnv),
		Stdout: out, Stderr: errOut,
		Grace: j.cfg.TerminationTimeout, Timeout: j.attemptTimeout(),
		Signals: caught, Logger: j.log, Planned: plannedStop,
		// The shim kills the whole group, should switchman itself be
		// SIGKILLed.
		Shim: shimPath(),
		// A cgroup of the run's own where the host allows (config key
		// cgroup), and the limits of the command line.
		Cgroup: j.cfg.Cgroups, Limits: j.opts.Limits, LimitsBestEffort: j.opts.LimitsBestEffort,
	})
	if err != nil {
		return nil, err
	}
	kill.attach(child)
	j.logStart(child.PID(), held)
	return child, nil
}

// outputTail returns where the child's last output is kept for the
// history, or nil when the run keeps no record or failure_output is 0.
// With a tail, switchman copies the child's output on to its own stdout
// and stderr (cron still gets exactly what the job printed, in order per
// stream); without one the child writes to them directly.
func (j *job) outputTail(c *fleet.Client) *supervise.Tail {
	if c == nil || j.opts.NoLock || j.cfg.FailureOutput <= 0 {
		return nil
	}
	return supervise.NewTail(j.cfg.FailureOutput)
}

// guard watches the run's permission while the command runs; the
// returned context is cancelled, with the cause, when it is lost, which
// makes the supervisor stop the child's whole process group.
func (j *job) guard(ctx context.Context, c *fleet.Client, held *lock.Held, group *membership, kill *killSwitch) (context.Context, func()) {
	if c == nil {
		return ctx, func() {}
	}
	var watched *lock.Watched
	if group != nil {
		watched = group.watched
	}
	return lock.Guard(ctx, c.Session(), lock.GuardOptions{
		Lock:         held,
		Group:        watched,
		NoEphemerals: held == nil && len(j.opts.Leases) == 0,
		Member: func(b []byte) (bool, error) {
			d, err := config.ParseData(j.cfg.Prefix, b)
			if err != nil {
				return false, err
			}
			// Unlike at the start, config.GroupUnknown is no error here:
			// well-formed data without the group means the group was
			// deleted, and this host is in it no more (a move).
			m, _ := d.Membership(j.opts.Group, j.host)
			return m == config.Member, nil
		},
		Grace:    j.cfg.TerminationTimeout,
		Logger:   j.log,
		KillPath: c.Store().KillPath(j.opts.LockName),
		OnKill:   kill.request,
	})
}

// plannedStop tells an operator's doing (a group move, a kill request)
// from a loss: the former is logged, never printed.
func plannedStop(cause error) bool {
	return errors.Is(cause, lock.ErrNotMember) || errors.Is(cause, supervise.ErrStopRequested)
}

func (j *job) logStart(pid int, held *lock.Held) {
	ev := j.log.Info().Str("lock", j.opts.LockName).Str("group", j.opts.Group).Str("host", j.host).
		Int("pid", pid)
	// The log line gets the summary the lock node holds, not a huge argv.
	info := lock.Info{Command: j.opts.Command}.Bounded()
	ev = ev.Strs("command", info.Command)
	if info.CommandCut {
		ev = ev.Bool("command_cut", true)
	}
	if held != nil {
		ev = ev.Int64("fencing_token", held.Token)
	}
	if j.splayed > 0 {
		ev = ev.Int64("splay_ms", j.splayed.Milliseconds())
	}
	ev.Msg("START")
}

// finish logs the FINISH line, writes the run record, and turns the
// child's result into the run's outcome; retried says that another
// attempt follows (--retry).
func (j *job) finish(r supervise.Result, tail *supervise.Tail, retried bool) error {
	result, err := j.outcome(r)
	// FINISH goes to the log file; when switchman itself stopped the child,
	// the returned error is the one line stderr (and cron's mail) gets.
	ev := j.log.Info().Str("lock", j.opts.LockName).Str("group", j.opts.Group).Str("host", j.host).Int("pid", r.PID).
		Int("exit_code", r.ExitCode).Str("result", result).
		Int64("duration_ms", r.Wall.Milliseconds()).
		Int64("user_cpu_ms", r.UserCPU.Milliseconds()).Int64("sys_cpu_ms", r.SysCPU.Milliseconds()).
		Int64("max_rss_kb", r.MaxRSSKB)
	if r.Signal != 0 {
		ev = ev.Str("signal", r.Signal.String())
	}
	if j.opts.Retry > 0 {
		ev = ev.Int("attempt", j.attempt).Bool("retried", retried)
	}
	if r.StopCause != nil {
		ev = ev.AnErr("cause", r.StopCause)
	}
	if r.Cgroup != "" {
		// The whole tree's, from its cgroup: what escaped the wait counts.
		ev = ev.Int64("cpu_ms", r.CgroupCPU.Milliseconds())
		if r.CgroupMemoryPeak > 0 {
			ev = ev.Int64("memory_peak_kb", r.CgroupMemoryPeak/1024)
		}
	}
	ev.Msg("FINISH")
	j.recordFinish(r, result, tail, retried)
	return err
}

// outcome classifies a result and picks the exit status: the child's own,
// unless switchman stopped it for a reason of its own.
func (j *job) outcome(r supervise.Result) (string, error) {
	child := &exitcode.Error{Code: r.ExitCode}
	switch {
	case r.Stopped && r.TimedOut:
		return fleet.ResultTimeout, exitcode.Of(supervise.ErrTimeout, "%s ran longer than --timeout %s and was stopped", j.opts.LockName, j.opts.Timeout)
	case r.Stopped && errors.Is(r.StopCause, lock.ErrNotMember):
		// An operator moved the group: a planned stop, as quiet as the
		// original's (cron would mail a line from every host on every
		// move). The FINISH line in the log says why; the status says a
		// permission ended.
		return fleet.ResultMoved, exitcode.Silent(r.StopCause)
	case r.Stopped && lock.IsLost(r.StopCause):
		return fleet.ResultLostLock, fmt.Errorf("%s stopped after %s: %w", j.opts.LockName, r.Wall.Round(time.Millisecond), r.StopCause)
	case r.Killed, r.Stopped && errors.Is(r.StopCause, supervise.ErrStopRequested):
		return fleet.ResultKilled, child
	case r.ExitCode == 0:
		return fleet.ResultSuccess, nil
	}
	return fleet.ResultFailure, child
}

// defaultHelperDir is where the package installs switchman's helper
// binaries. A helper is looked for beside this executable first, then in
// $SWITCHMAN_HELPER_DIR or, when that is unset, here. Tests point the
// variable at an empty directory, so that what is installed on the machine
// never changes what they run.
const defaultHelperDir = "/usr/lib/switchman"

// HelperDir returns the directory helpers are looked for in after the
// executable's own.
func HelperDir() string {
	if d := os.Getenv("SWITCHMAN_HELPER_DIR"); d != "" {
		return d
	}
	return defaultHelperDir
}

// ErrNoHelper means a helper binary switchman needs (switchman-serve,
// switchman-metrics) is installed neither beside switchman nor in
// HelperDir.
var ErrNoHelper = errors.New("job: helper not installed")

// HelperPath returns the path of the helper binary name, or "" when it is
// installed neither beside this executable nor in HelperDir.
func HelperPath(name string) string {
	cands := []string{filepath.Join(HelperDir(), name)}
	if exe, err := os.Executable(); err == nil {
		cands = append([]string{filepath.Join(filepath.Dir(exe), name)}, cands...)
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return c
		}
	}
	return ""
}

// shimPath returns the shim to start the job with: the small
// switchman-shim helper, else this executable itself (slower to start:
// every package's init runs again).
func shimPath() string {
	if p := HelperPath("switchman-shim"); p != "" {
		return p
	}
	return "/proc/self/exe"
}
