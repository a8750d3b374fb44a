package history

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/procstat"
)

// StartedPID returns the pid of the first child recorded in the log at
// path, or 0 when the log is missing, unreadable or has no run yet: a
// harness polls it to learn the pid of the child its wrapper started.
func StartedPID(path string) int { return StartedProc(path).PID }

// StartedProc is StartedPID with the start time the child recorded.
func StartedProc(path string) Proc {
	runs, err := ParseFile(path)
	if err != nil || len(runs) == 0 {
		return Proc{}
	}
	return runs[0].Procs()[0]
}

// Proc names one process of a run for later checks: its pid and its start
// time in clock ticks since boot (/proc/PID/stat field 22). A pid is
// reused within minutes on a busy host (pid_max is often 32768); the start
// time tells the run's process from a later one with the same pid. Ticks 0
// means unknown: any live histchild with that pid counts.
type Proc struct {
	PID   int
	Ticks uint64
}

// ProcOf names the process pid is now (Ticks 0 when it is gone).
func ProcOf(pid int) Proc {
	st, _ := procstat.Read(pid)
	return Proc{PID: pid, Ticks: st.Start}
}

// Alive reports whether p is a live (not zombie) process named histchild
// (histchild.test under go test) that started at p.Ticks: the name and
// the start time guard against pid reuse, the state check against an
// unreaped zombie (a container's init may not reap). Linux only (/proc).
func (p Proc) Alive() bool {
	st, err := procstat.Read(p.PID)
	return err == nil && strings.HasPrefix(st.Comm, "histchild") && !st.Zombie() && (p.Ticks == 0 || st.Start == p.Ticks)
}

// Kill sends SIGKILL to p if it is still alive, and never to a process
// that reused its pid.
func (p Proc) Kill() error {
	if !p.Alive() {
		return nil
	}
	return syscall.Kill(p.PID, syscall.SIGKILL)
}

// WaitGone polls p until it is dead, at most timeout, and returns when it
// was seen dead; at the bound it returns the zero time.
func (p Proc) WaitGone(timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for p.Alive() {
		if time.Now().After(deadline) {
			return time.Time{}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Now()
}

// Alive reports whether pid is a live histchild, whenever it started
// (Proc.Alive): for a pid learnt moments ago.
func Alive(pid int) bool { return Proc{PID: pid}.Alive() }

// Procs returns the run's child and the grandchildren it recorded, each
// with the start time the child recorded for it (0 when the log predates
// it).
func (r Run) Procs() []Proc {
	ticks := func(s string) uint64 { t, _ := strconv.ParseUint(s, 10, 64); return t }
	out := []Proc{{PID: r.PID, Ticks: ticks(r.Extra["ticks"])}}
	gt := strings.Split(r.Extra["grandchildren_ticks"], ",")
	for i, s := range strings.Split(r.Extra["grandchildren"], ",") {
		pid, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		p := Proc{PID: pid}
		if i < len(gt) {
			p.Ticks = ticks(gt[i])
		}
		out = append(out, p)
	}
	return out
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
	var p Proc
	var exitedAt time.Time
	for {
		select {
		case <-exited:
			if exitedAt.IsZero() {
				exitedAt = time.Now()
			}
		default:
		}
		if p.PID == 0 {
			p = StartedProc(path)
		}
		switch {
		case p.PID != 0 && !p.Alive():
			return p.PID, time.Now()
		case p.PID == 0 && !exitedAt.IsZero():
			if p = StartedProc(path); p.PID == 0 {
				return 0, time.Time{} // the child never started
			}
		case !exitedAt.IsZero() && time.Since(exitedAt) > 5*time.Second:
			return p.PID, time.Time{} // left running: the checker reports it
		}
		time.Sleep(poll)
	}
}
