package history

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// StartedPID returns the pid of the first child recorded in the log at
// path, or 0 when the log is missing, unreadable or has no run yet: a
// harness polls it to learn the pid of the child its wrapper started.
func StartedPID(path string) int {
	runs, err := ParseFile(path)
	if err != nil || len(runs) == 0 {
		return 0
	}
	return runs[0].PID
}

// Alive reports whether pid is a live (not zombie) process named
// histchild: the name check guards against pid reuse, the state check
// against an unreaped zombie (a container's init may not reap). Linux only
// (/proc).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < 0 || rp+2 >= len(s) || s[lp+1:rp] != "histchild" {
		return false
	}
	state := s[rp+2]
	return state != 'Z' && state != 'X'
}

// Reaped is what WaitWrapper saw of one wrapper run and its child.
type Reaped struct {
	Exited time.Time // when the wrapper was reaped
	Code   int       // its exit code (-1 if a signal killed it)
	Signal string    // the signal that killed it, "" if none
	PID    int       // its child's pid, 0 if the child never started
	// Dead is when the child was seen dead; zero if it was still alive
	// 5 s after the wrapper exited (the checker reports it), or never
	// started.
	Dead time.Time
}

// WaitWrapper reaps cmd, a started wrapper whose child logs to path,
// while it watches the child: it learns the child's pid from the log and
// polls it every poll until it is dead, so that a child killed with
// SIGKILL (no end line) is dated by when it died.
func WaitWrapper(cmd *exec.Cmd, path string, poll time.Duration) Reaped {
	exited := make(chan struct{})
	type seen struct {
		pid  int
		dead time.Time
	}
	child := make(chan seen, 1)
	go func() {
		pid, dead := watchChild(path, exited, poll)
		child <- seen{pid, dead}
	}()
	err := cmd.Wait()
	r := Reaped{Exited: time.Now(), Code: cmd.ProcessState.ExitCode()}
	close(exited)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signal = ws.Signal().String()
		}
	}
	c := <-child
	r.PID, r.Dead = c.pid, c.dead
	return r
}

// watchChild polls the child of the run logged at path until it is dead,
// and gives up 5 s after its wrapper exited (exited closed).
func watchChild(path string, exited <-chan struct{}, poll time.Duration) (int, time.Time) {
	pid := 0
	var exitedAt time.Time
	for {
		select {
		case <-exited:
			if exitedAt.IsZero() {
				exitedAt = time.Now()
			}
		default:
		}
		if pid == 0 {
			pid = StartedPID(path)
		}
		switch {
		case pid != 0 && !Alive(pid):
			return pid, time.Now()
		case pid == 0 && !exitedAt.IsZero():
			if pid = StartedPID(path); pid == 0 {
				return 0, time.Time{} // the child never started
			}
		case !exitedAt.IsZero() && time.Since(exitedAt) > 5*time.Second:
			return pid, time.Time{} // left running: the checker reports it
		}
		time.Sleep(poll)
	}
}
