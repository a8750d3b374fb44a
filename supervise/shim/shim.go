// Package shim is the whole program of switchman's shim: the process that
// sits between switchman and the job, as the leader of the job's process
// group, and kills the job's tree should switchman be SIGKILLed.
//
// Every job starts one, so it is kept as small as a Go program can be: it
// imports nothing beyond os, os/signal, strconv, strings, syscall and time,
// and the packages limits and cgroup, which keep to those too (no fmt, no
// logging, no supervise), so that its binary is small and its start, a
// second Go runtime on every run, costs as little as possible.
package shim

import (
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/acme/switchman/exitcode"
)

// Arg, as a program's first argument, makes it run Run. A program that
// starts itself as the shim must check for it first thing in main.
const Arg = "__switchman_shim__"

// Exit codes of the shim itself, as a shell reports them: 127 for a
// command not found, 126 for one that cannot run, 70 (EX_SOFTWARE) for a
// misuse, 137 (128+SIGKILL) when switchman died.
const (
	exitNotFound      = exitcode.NotFound
	exitNotExecutable = exitcode.NotExec
	exitSoftware      = exitcode.Software
	exitKilled        = 137
)

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER (linux/prctl.h),
// which package syscall lacks; golang.org/x/sys/unix has it, but costs the
// shim a dependency for one constant.
const prSetChildSubreaper = 36

// killTimeout bounds how long a shim whose switchman died keeps killing
// the job's tree: a process stuck in uninterruptible sleep (a dead NFS
// server) may never die, and the shim must not linger for it.
const killTimeout = 10 * time.Second

// Run is the shim's program. args are what follows Arg: the options (see
// Args) and "--" if there are any, switchman's pid, the command's path and
// its argv. It runs the command, waits for it and
// returns its status (128+N when it died of signal N). It ignores the stop
// signals switchman sends to the group (the job gets them itself); but
// when one arrives after switchman died (its parent-death signal, which
// must be catchable, unlike the SIGKILL a plain child gets), it SIGKILLs
// every descendant of the job, so nothing of the job outlives a SIGKILLed
// switchman.
//
// The shim is a child subreaper: a descendant whose parent dies is
// reparented to the shim, whatever it did with sessions and process groups
// (setsid, a double fork). So killing the shim's children, then the
// children that killing reparented to it, and so on until it has none,
// reaches every descendant. The exceptions are processes that never were
// descendants (started for the job by a service manager, systemd-run, at)
// and orphans of a descendant that made itself a subreaper and is still
// alive when they are looked for; the latter are killed once it dies.
//
// With a cgroup (the -cgroup option), the job runs in it, through a stage
// that joins it before the exec (so do the limits), and the shim of a
// dead switchman kills the job with cgroup.kill, which reaches even those
// exceptions, waits for the cgroup to empty and removes it.
func Run(args []string) int {
	o, args, ok := parseOptions(args)
	if !ok {
		say("switchman-shim: usage: [OPTIONS... --] PARENT-PID PATH ARGV0 [ARGS...]")
		return exitSoftware
	}
	if o.exec {
		return runStage(o, args)
	}
	if len(args) < 3 {
		say("switchman-shim: usage: [OPTIONS... --] PARENT-PID PATH ARGV0 [ARGS...]")
		return exitSoftware
	}
	parent, err := strconv.Atoi(args[0])
	if err != nil {
		say("switchman-shim: bad parent pid " + strconv.Quote(args[0]))
		return exitSoftware
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	if os.Getppid() != parent {
		return exitKilled // switchman died before we could start anything
	}
	// Without the subreaper, an escaped descendant would be reparented
	// past us (to switchman, or to init once switchman is dead) and
	// survive a SIGKILLed switchman. Failing it is not fatal: the process
	// group is still killed.
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0, 0, 0, 0)
	// The job's own parent-death signal fires when this thread exits: keep
	// it locked, alive, until the job is reaped.
	runtime.LockOSThread()
	// syscall.ForkExec rather than os.StartProcess: the latter's first use
	// in a process forks a throw-away child to probe pidfd support, a cost
	// every job would pay for nothing here.
	pid, err := o.start(args[1], args[2:])
	if err != nil {
		if o.staged() {
			return o.fail("start the job's stage: " + err.Error())
		}
		return startFailed(args[2], args[1], err)
	}
	done, empty := make(chan int, 1), make(chan struct{})
	go reapAll(pid, args[2], done, empty)
	for {
		select {
		case <-sigs:
			if os.Getppid() == parent {
				continue // switchman's stop signal: the job got it too
			}
			if errno != 0 {
				// Kill(0, ...) signals our own process group: the job, its
				// group's members and this shim.
				_ = syscall.Kill(0, syscall.SIGKILL)
			}
			o.killJob(empty)
			return exitKilled
		case code := <-done:
			return code
		}
	}
}

// say writes a line to stderr, which cron mails.
func say(s string) { _, _ = os.Stderr.WriteString(s + "\n") }

// startFailed says why a failed execve failed, as switchman's own start
// would (supervise's startError), and returns the shell's code for it.
func startFailed(given, path string, err error) int {
	errno, _ := err.(syscall.Errno)
	switch errno {
	case syscall.ENOENT:
		if _, statErr := os.Stat(path); statErr == nil {
			// The file is there, so the missing file is the #! interpreter.
			say("switchman: start " + strconv.Quote(given) + ": supervise: command not executable: bad interpreter: " + err.Error())
			return exitNotExecutable
		}
		say("switchman: start " + strconv.Quote(given) + ": supervise: command not found")
		return exitNotFound
	case syscall.EACCES, syscall.EPERM, syscall.ENOEXEC, syscall.EISDIR,
		syscall.ENOTDIR, syscall.ETXTBSY, syscall.ELOOP, syscall.ELIBBAD:
		say("switchman: start " + strconv.Quote(given) + ": supervise: command not executable: " + err.Error())
		return exitNotExecutable
	default:
		say("switchman: start " + strconv.Quote(given) + ": " + err.Error())
		return exitNotExecutable
	}
}

// reapAll reaps every child of the shim: the job, whose status it sends on
// done, and the orphans reparented to the shim, which must not pile up as
// zombies. It closes empty when the shim has no child left.
func reapAll(job int, name string, done chan<- int, empty chan<- struct{}) {
	defer close(empty)
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
		case err == syscall.ECHILD:
			return
		case err != nil:
			say("switchman: wait for " + name + ": " + err.Error())
			done <- exitSoftware
			return
		case pid == job:
			done <- status(ws)
		}
	}
}

// status is the exit status that reports ws to switchman: the job's code,
// or 128+N for death by signal N (re-raising the signal on a Go program
// could print a stack dump, which cron would mail).
func status(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	default:
		return exitSoftware
	}
}

// killDescendants SIGKILLs the shim's children until it has none left
// (empty is closed), or deadline has passed. Each round kills the
// children the previous round's kills reparented to the shim. A child is
// safe to kill by pid: its pid stays ours until reapAll reaps it.
func killDescendants(empty <-chan struct{}, deadline time.Time) {
	timeout := time.After(time.Until(deadline))
	for {
		for _, k := range children() {
			_ = syscall.Kill(k, syscall.SIGKILL)
		}
		select {
		case <-empty:
			return
		case <-timeout:
			return
		case <-time.After(time.Millisecond): // let the kills land and reparent
		}
	}
}
