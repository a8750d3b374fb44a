package zktest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// proc is one run of a JVM: a started exec.Cmd and its exit.
type proc struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has been waited for
	waitErr error         // cmd.Wait's result; read only after done is closed
}

// startProc starts cmd in its own process group with Pdeathsig=SIGKILL and
// returns once it is running (or failed to start). A goroutine waits for it
// and closes p.done.
func startProc(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group: the terminal's SIGINT for `go test` goes to the
		// foreground group only, so it cannot kill the JVM behind the back of
		// our own Stop/cleanup.
		Setpgid: true,
		// If the test binary dies without cleanup (crash, SIGKILL, os.Exit),
		// the kernel kills the JVM: no servers left behind. This works because
		// the JVM is our direct child (no shell in between).
		Pdeathsig: syscall.SIGKILL,
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// run starts and waits for the process on one locked OS thread.
//
// Pdeathsig fires when the *thread* that forked the child exits, not the
// process. The Go runtime destroys a thread when a goroutine exits while
// locked to it (any library may do that), so an unlocked fork thread could
// vanish and SIGKILL a healthy JVM. Keeping this goroutine locked to its
// thread until the child has been reaped pins the thread for the child's
// whole life.
func (p *proc) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.waitErr = p.cmd.Wait()
	close(p.done)
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has been waited for.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process (not its group: the JVM has no children).
// os.Process.Signal uses a pidfd on Linux, so a recycled pid is never hit;
// signalling an exited process is not an error.
func (p *proc) signal(sig os.Signal) error {
	err := p.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// waitFor waits up to d for the process to exit and reports whether it did.
func (p *proc) waitFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// waitStopped waits up to d until every thread of the process is stopped
// (state T in /proc/PID/task/TID/stat) and reports whether they were. An
// exited process counts as stopped: it answers nothing either.
func (p *proc) waitStopped(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if p.exited() || p.allStopped() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allStopped reports whether every thread of the process is stopped.
func (p *proc) allStopped() bool {
	dir := "/proc/" + strconv.Itoa(p.pid()) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			continue // the thread exited since the listing
		}
		// "tid (comm) state ...": comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}
