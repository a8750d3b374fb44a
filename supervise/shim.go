package supervise

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
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

// RunShim is the whole program of the shim: the process that sits between
// switchman and the job, as the leader of the job's process group. args are
// what follows ShimArg: switchman's pid, the command's path and its argv.
// It runs the command, waits for it and exits with its status (128+N when
// it died of signal N). It ignores the stop signals switchman sends to the
// group (the job gets them itself); but when one arrives after switchman
// died (its parent-death signal), it SIGKILLs the whole group, so nothing
// of the job outlives a SIGKILLed switchman.
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
	done := make(chan int, 1)
	go func() {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			switch {
			case err == syscall.EINTR:
				continue
			case err != nil:
				fmt.Fprintf(os.Stderr, "switchman: wait for %s: %v\n", args[2], err)
				done <- 70
			default:
				done <- shimStatus(ws)
			}
			return
		}
	}()
	for {
		select {
		case <-sigs:
			if os.Getppid() != parent {
				// Kill(0, ...) signals our own process group: the job, its
				// descendants and this shim.
				_ = syscall.Kill(0, syscall.SIGKILL)
			}
		case code := <-done:
			return code
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
