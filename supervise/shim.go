package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// ShimArg, as a program's first argument, makes it run RunShim. A program
// that sets Options.Shim to its own executable must check for it first
// thing in main.
const ShimArg = "__switchman_shim__"

// shimDeathSignal is the shim's parent-death signal. It must be catchable,
// unlike the SIGKILL a plain child gets, so that the shim can act on it:
// SIGKILL the whole process group, grandchildren included, which the
// kernel's parent-death signal alone never reaches.
const shimDeathSignal = syscall.SIGTERM

// shimArgv is the argv that starts the shim around path and argv.
func shimArgv(path string, argv []string) []string {
	return append([]string{"switchman-shim", ShimArg, strconv.Itoa(os.Getpid()), path}, argv...)
}

// shimKillTimeout bounds how long a shim whose switchman died keeps killing
// the job's tree: a process stuck in uninterruptible sleep (a dead NFS
// server) may never die, and the shim must not linger for it.
const shimKillTimeout = 10 * time.Second

// RunShim is the whole program of the shim: the process that sits between
// switchman and the job, as the leader of the job's process group. args are
// what follows ShimArg: switchman's pid, the command's path and its argv.
// It runs the command, waits for it and exits with its status (128+N when
// it died of signal N). It ignores the stop signals switchman sends to the
// group (the job gets them itself); but when one arrives after switchman
// died (its parent-death signal), it SIGKILLs every descendant of the job,
// so nothing of the job outlives a SIGKILLed switchman.
//
// The shim is a child subreaper: a descendant whose parent dies is
// reparented to the shim, whatever it did with sessions and process groups
// (setsid, a double fork). So killing the shim's children, then the
// children that killing reparented to it, and so on until it has none,
// reaches every descendant. The exceptions are processes that never were
// descendants (started for the job by a service manager, systemd-run, at)
// and orphans of a descendant that made itself a subreaper and is still
// alive when they are looked for; the latter are killed once it dies.
func RunShim(args []string) int {
	if len(args) < 3 {
		fmt.Fprintln(os.Stderr, "switchman-shim: usage: PARENT-PID PATH ARGV0 [ARGS...]")
		return 70
	}
	parent, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "switchman-shim: bad parent pid %q\n", args[0])
		return 70
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	if os.Getppid() != parent {
		return 137 // switchman died before we could start anything
	}
	// Without the subreaper, an escaped descendant would be reparented
	// past us (to switchman, or to init once switchman is dead) and
	// survive a SIGKILLed switchman. Failing it is not fatal: the process
	// group is still killed.
	subreaperErr := EnableSubreaper()
	// The job's own parent-death signal fires when this thread exits: keep
	// it locked, alive, until the job is reaped.
	runtime.LockOSThread()
	// syscall.ForkExec rather than os.StartProcess: the latter's first use
	// in a process forks a throw-away child to probe pidfd support, a cost
	// every job would pay for nothing here.
	pid, err := syscall.ForkExec(args[1], args[2:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		err = startError(args[2], args[1], err)
		fmt.Fprintf(os.Stderr, "switchman: %v\n", err)
		if errors.Is(err, ErrNotFound) {
			return 127
		}
		return 126
	}
	done, empty := make(chan int, 1), make(chan struct{})
	go reapAll(pid, args[2], done, empty)
	for {
		select {
		case <-sigs:
			if os.Getppid() == parent {
				continue // switchman's stop signal: the job got it too
			}
			if subreaperErr != nil {
				// Kill(0, ...) signals our own process group: the job, its
				// group's members and this shim.
				_ = syscall.Kill(0, syscall.SIGKILL)
			}
			killDescendants(empty)
			return 137
		case code := <-done:
			return code
		}
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
			fmt.Fprintf(os.Stderr, "switchman: wait for %s: %v\n", name, err)
			done <- 70
			return
		case pid == job:
			done <- shimStatus(ws)
		}
	}
}

// killDescendants SIGKILLs the shim's children until it has none left
// (empty is closed), or shimKillTimeout has passed. Each round kills the
// children the previous round's kills reparented to the shim. A child is
// safe to kill by pid: its pid stays ours until reapAll reaps it.
func killDescendants(empty <-chan struct{}) {
	deadline := time.After(shimKillTimeout)
	for {
		kids, _ := childrenOf(os.Getpid())
		for _, k := range kids {
			if k.state != 'Z' {
				_ = syscall.Kill(k.pid, syscall.SIGKILL)
			}
		}
		select {
		case <-empty:
			return
		case <-deadline:
			return
		case <-time.After(time.Millisecond): // let the kills land and reparent
		}
	}
}

// shimStatus is the exit status that reports st to switchman: the job's
// code, or 128+N for death by signal N (re-raising the signal on a Go
// program could print a stack dump, which cron would mail).
func shimStatus(ws syscall.WaitStatus) int {
	if code, _ := exitStatus(ws); code >= 0 {
		return code
	}
	return 70
}
