package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/limits"
)

// DefaultGrace is the time between SIGTERM and SIGKILL when Options.Grace is
// zero. Ten seconds is the original switchman's termination_timeout default:
// long enough for a job to flush and remove temp files, short enough that a
// host that lost its lock stops competing with the new holder quickly.
const DefaultGrace = 10 * time.Second

// ErrNotFound is wrapped by the error from [Start] when the command does not
// exist (a shell reports exit status 127 for this).
var ErrNotFound = errors.New("supervise: command not found")

// ErrNotExecutable is wrapped by the error from [Start] when the command
// exists but cannot be executed: no execute permission, a directory, not a
// binary or script the kernel can run, or a script whose interpreter is
// missing (a shell reports exit status 126 for this).
var ErrNotExecutable = errors.New("supervise: command not executable")

// Options describes the child to start and how to supervise it.
type Options struct {
	// Path is the command as given; it becomes argv[0]. Without a slash it
	// is looked up in this process's $PATH like exec.LookPath does; a
	// command found only relative to the current directory is refused.
	Path string
	// Args are the arguments after argv[0].
	Args []string
	// Env is the child's whole environment; nil means os.Environ().
	Env []string
	// Stdin, Stdout and Stderr are the child's standard streams. nil means
	// this process's own os.Stdin, os.Stdout and os.Stderr. An *os.File is
	// handed to the child as is, so the child writes to the real file
	// descriptor and its output reaches cron untouched; any other reader or
	// writer is connected through a pipe and copied.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Grace is the time between the stop signal and SIGKILL (the config's
	// termination_timeout). Zero means DefaultGrace.
	Grace time.Duration
	// Timeout limits the child's run time, counted from Start; zero means
	// no limit. When it is exceeded the child is stopped like on a
	// cancelled context and the Result has TimedOut set.
	Timeout time.Duration
	// Signals delivers the signals to forward to the child's process group
	// while Wait runs. The caller registers it with signal.Notify, before
	// Start so that a signal arriving between the fork and Wait is kept,
	// not lost, and stops it after Wait. Forwarding SIGTERM, SIGINT,
	// SIGHUP or SIGQUIT counts as a stop: if the child has not exited
	// within Grace, the group is SIGKILLed.
	Signals <-chan os.Signal
	// Logger receives debug messages and one warning when a stop escalates
	// to SIGKILL. The zero value logs nothing.
	Logger zerolog.Logger
	// Planned, when set, says whether a stop's cause was planned work (an
	// operator's move or kill): its escalation to SIGKILL is then logged
	// at info, not as a warning, since stderr is what cron mails.
	Planned func(cause error) bool
	// Shim, when set, is an executable whose main runs RunShim when its
	// first argument is ShimArg (switchman uses its small switchman-shim
	// helper, or itself as "/proc/self/exe" when that is not installed). The shim
	// becomes the direct child and the leader of the process group, and
	// runs the command: if this process is SIGKILLed, the shim SIGKILLs the
	// whole group, grandchildren included. Without it, a SIGKILLed parent
	// takes only the direct child with it. The Result is the command's
	// (rusage includes the shim's few megabytes).
	Shim string
	// Limits are the command's resource limits. The shim's stage applies
	// the per-process ones (nice, ionice, oom-score-adj, rlimits) to the
	// command just before its exec, so they need Shim; the cgroup ones
	// (memory-max, cpu-max, tasks-max) are written to the run's cgroup,
	// which they imply (as if Cgroup were set). When a limit cannot be put
	// in force (the kernel refuses it, or the host lacks the cgroup or
	// the controller it needs), Start fails with ErrLimits and the
	// command does not run.
	Limits limits.Limits
	// LimitsBestEffort runs the command without the cgroup limits that
	// the host cannot enforce, logging one warning, rather than fail. It
	// does not cover a limit the kernel refuses.
	LimitsBestEffort bool
	// Cgroup, with Shim set, runs the command in a cgroup of its own below
	// this process's cgroup, where the host allows it (root or a
	// delegated cgroup, Linux 5.14 or later; see package cgroup): a
	// SIGKILL of the tree is then a write to cgroup.kill, which reaches
	// every descendant however it left the process group, the tree is
	// gone when cgroup.events says so, and the Result has the CPU time
	// and peak memory of the whole tree. Where no cgroup can be made the
	// command runs as without it. The cgroup is removed after the run,
	// and by the shim should this process be SIGKILLed.
	Cgroup bool
}

// Child is a started child process. Its methods are safe for concurrent use.
type Child struct {
	opts    Options
	log     zerolog.Logger
	pid     int
	started time.Time
	// startTicks is the child's start time in clock ticks since boot
	// (/proc/pid/stat field 22); processes that started earlier are never
	// counted as part of its tree. Zero when /proc could not be read.
	startTicks uint64
	stdio      *stdio
	exited     chan exitInfo // one value, sent by the reaping goroutine
	cg         *cgroup.Group // the run's cgroup; nil without one

	mu   sync.Mutex
	stop stopState // guarded by mu

	waitOnce sync.Once
	waited   chan struct{}
	result   Result
}

// exitInfo is what the reaping goroutine learned.
type exitInfo struct {
	status syscall.WaitStatus
	usage  syscall.Rusage
	err    error
	at     time.Time
}

// Start starts the child described by opts, never through a shell, in a
// process group of its own, and returns at once. Its error wraps ErrNotFound
// or ErrNotExecutable (and the underlying errno) when the command cannot be
// run, and names the command: `start "/x/y": supervise: command not found`;
// it wraps ErrLimits when the command's limits could not be put in force.
// With limits or a cgroup, Start returns once the command has been exec'd
// with them (see Options.Limits). The caller must call Wait to supervise
// the child and clean up after it.
func Start(opts Options) (*Child, error) {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	path, err := resolve(opts.Path)
	if err != nil {
		return nil, err
	}
	sio, err := newStdio(opts.Stdin, opts.Stdout, opts.Stderr)
	if err != nil {
		return nil, fmt.Errorf("start %q: %w", opts.Path, err)
	}
	c := &Child{
		opts:   opts,
		log:    opts.Logger,
		stdio:  sio,
		exited: make(chan exitInfo, 1),
		waited: make(chan struct{}),
	}
	if err := c.start(path); err != nil {
		sio.closeAll()
		return nil, err
	}
	sio.startCopying()
	c.log.Debug().Int("pid", c.pid).Str("path", path).Msg("child started")
	return c, nil
}

// start prepares the run's cgroup and checks its limits, forks the child
// and, when the shim reports, waits until the command runs with them.
func (c *Child) start(path string) error {
	if err := c.setUp(); err != nil {
		return fmt.Errorf("start %q: %w", c.opts.Path, err)
	}
	report, reportW, err := c.reportPipe()
	if err != nil {
		c.removeCgroup()
		return fmt.Errorf("start %q: %w", c.opts.Path, err)
	}
	started := make(chan error)
	go c.run(path, c.procAttr(reportW), started)
	err = <-started
	c.stdio.closeChildEnds()
	if reportW != nil {
		reportW.Close() // the shim and its stage hold the write end now
	}
	if err != nil {
		if report != nil {
			report.Close()
		}
		c.removeCgroup()
		return startError(c.opts.Path, path, err)
	}
	if report != nil {
		if why := c.readReport(report); why != "" {
			c.abandon()
			return fmt.Errorf("start %q: %w: %s", c.opts.Path, ErrLimits, why)
		}
	}
	return nil
}

// PID returns the child's process id, which is also its process group id.
func (c *Child) PID() int { return c.pid }

// procAttr builds the attributes of the child process; report, when not
// nil, becomes its descriptor shim.ReportFD.
func (c *Child) procAttr(report *os.File) *syscall.ProcAttr {
	env := c.opts.Env
	if env == nil {
		env = os.Environ()
	}
	files := c.stdio.childFiles()
	if report != nil {
		files = append(files, report)
	}
	return &syscall.ProcAttr{
		Env:   env,
		Files: fds(files),
		Sys: &syscall.SysProcAttr{
			// A process group of its own lets one kill(-pgid) reach the
			// child and every descendant that stays in the group, and keeps
			// signals meant for switchman's group (a terminal's ^C, a kill of
			// cron's job) from reaching the child except as we forward them.
			Setpgid: true,
			// SIGKILL the child if switchman dies, even by SIGKILL, so a job
			// never runs on without the lock holder watching it. The kernel
			// sends it when the forking *thread* exits; see run.
			Pdeathsig: c.deathSignal(),
		},
	}
}

// deathSignal is the direct child's parent-death signal: SIGKILL, or the
// shim's catchable signal when a shim runs the command.
func (c *Child) deathSignal() syscall.Signal {
	if c.opts.Shim != "" {
		return shimDeathSignal
	}
	return syscall.SIGKILL
}

// run starts the child and reaps it, all on one locked OS thread.
//
// PR_SET_PDEATHSIG fires when the thread that forked the child exits, not
// when the process does, and the Go runtime may end a thread whose goroutine
// is done. So this goroutine locks itself to its thread before forking and
// stays locked, blocked in wait, until the child has been reaped: the thread
// cannot exit while the child lives, and the parent-death signal means
// "switchman died".
func (c *Child) run(path string, attr *syscall.ProcAttr, started chan<- error) {
	runtime.LockOSThread()
	argv := append([]string{c.opts.Path}, c.opts.Args...)
	if c.opts.Shim != "" {
		path, argv = c.opts.Shim, shimArgv(c.shimOptions(), path, argv)
	}
	pid, err := startRegistered(path, argv, attr)
	if err != nil {
		runtime.UnlockOSThread() // nothing was forked: the thread is free
		started <- err
		return
	}
	c.pid = pid
	c.started = time.Now()
	// Read while the child cannot yet have been reaped, so /proc/pid exists.
	c.startTicks, _ = startTicks(pid)
	started <- nil

	ex := exitInfo{}
	for {
		_, ex.err = syscall.Wait4(pid, &ex.status, 0, &ex.usage)
		if ex.err != syscall.EINTR {
			break
		}
	}
	ex.at = time.Now()
	c.markReaped()
	reaped(pid)
	c.exited <- ex
	runtime.UnlockOSThread() // the child is reaped: no parent-death signal left to protect
}

// fds turns the child's files into the descriptors it gets as 0, 1, 2; a
// nil file is a closed descriptor.
func fds(files []*os.File) []uintptr {
	out := make([]uintptr, len(files))
	for i, f := range files {
		out[i] = ^uintptr(0)
		if f != nil {
			out[i] = f.Fd()
		}
	}
	return out
}

// resolve finds the executable to run for path, like a shell would.
func resolve(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("start %q: %w", path, ErrNotFound)
	}
	found, err := exec.LookPath(path)
	switch {
	case err == nil:
		return found, nil
	case errors.Is(err, exec.ErrDot):
		return "", fmt.Errorf("start %q: %w: %w", path, ErrNotFound, err)
	case hasSlash(path):
		// LookPath checks permissions only; let execve report precisely why
		// an explicit path cannot run.
		return path, nil
	default:
		return "", fmt.Errorf("start %q: %w", path, ErrNotFound)
	}
}

func hasSlash(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			return true
		}
	}
	return false
}

// startError maps a failed execve to ErrNotFound or ErrNotExecutable the way
// a shell maps it to 127 or 126.
func startError(given, path string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("start %q: %w", given, err)
	}
	switch errno {
	case syscall.ENOENT:
		if _, statErr := os.Stat(path); statErr == nil {
			// The file is there, so the missing file is the #! interpreter.
			return fmt.Errorf("start %q: %w: bad interpreter: %w", given, ErrNotExecutable, errno)
		}
		return fmt.Errorf("start %q: %w", given, ErrNotFound)
	case syscall.EACCES, syscall.EPERM, syscall.ENOEXEC, syscall.EISDIR,
		syscall.ENOTDIR, syscall.ETXTBSY, syscall.ELOOP, syscall.ELIBBAD:
		return fmt.Errorf("start %q: %w: %w", given, ErrNotExecutable, errno)
	default:
		return fmt.Errorf("start %q: %w", given, err)
	}
}
