package supervise

import (
	"syscall"
	"time"
)

// Result describes how a child ended and what it used.
type Result struct {
	// PID is the child's process id.
	PID int
	// ExitCode is the child's exit status, or 128+N when it died of signal
	// N, as a shell reports it; -1 if the status could not be collected.
	ExitCode int
	// Signal is the signal the child died of; zero when it exited.
	Signal syscall.Signal
	// Stopped reports that we stopped the child: its context was done, the
	// timeout passed, Stop was called, or a terminating signal was
	// forwarded.
	Stopped bool
	// StopCause says why, when Stopped: context.Cause of Wait's context,
	// ErrTimeout, ErrStopRequested or a *ForwardedSignal. Only the first
	// reason is kept.
	StopCause error
	// TimedOut reports that Options.Timeout started the stop
	// (StopCause is ErrTimeout).
	TimedOut bool
	// Killed reports that the process group was SIGKILLed while the child
	// still ran: the grace ran out, a KillBy deadline was reached, or
	// Stop(SIGKILL) was called. The routine SIGKILL of leftovers after the
	// child exited does not count.
	Killed bool
	// Wall is the time from start to exit.
	Wall time.Duration
	// UserCPU and SysCPU are the child's CPU times, including those of the
	// descendants it waited for.
	UserCPU, SysCPU time.Duration
	// MaxRSSKB is the peak resident set size in KiB of the child or of the
	// largest descendant it waited for.
	MaxRSSKB int64
	// Cgroup is the directory of the cgroup the command ran in (removed
	// since); empty when it ran without one.
	Cgroup string
	// CgroupCPU is the CPU time, user and system, of every process that
	// ran in the cgroup, whether anyone waited for it or not (cpu.stat);
	// zero without a cgroup.
	CgroupCPU time.Duration
	// CgroupMemoryPeak is the cgroup's peak memory use in bytes
	// (memory.peak); zero without a cgroup or its memory controller.
	CgroupMemoryPeak int64
}

// resultOf builds the Result from the reaped child's state.
func (c *Child) resultOf(ex exitInfo) Result {
	c.mu.Lock()
	st := c.stop
	c.mu.Unlock()
	r := Result{
		PID:       c.pid,
		ExitCode:  -1,
		Stopped:   st.stopped,
		StopCause: st.cause,
		TimedOut:  st.cause == ErrTimeout,
		Killed:    st.killed,
		Wall:      ex.at.Sub(c.started),
	}
	if ex.err != nil {
		c.log.Debug().Int("pid", c.pid).Err(ex.err).Msg("no exit status")
		return r
	}
	r.ExitCode, r.Signal = exitStatus(ex.status)
	if c.opts.Shim != "" && r.Signal == 0 && r.ExitCode > 128 && r.ExitCode <= 128+64 {
		// The shim reports the command's death by signal N as 128+N.
		r.Signal = syscall.Signal(r.ExitCode - 128)
	}
	r.UserCPU = time.Duration(ex.usage.Utime.Nano())
	r.SysCPU = time.Duration(ex.usage.Stime.Nano())
	r.MaxRSSKB = ex.usage.Maxrss // KiB on Linux
	return r
}

// exitStatus maps a wait status to a shell's exit code.
func exitStatus(ws syscall.WaitStatus) (code int, sig syscall.Signal) {
	switch {
	case ws.Exited():
		return ws.ExitStatus(), 0
	case ws.Signaled():
		// 128+N is what sh and bash report for death by signal N.
		return 128 + int(ws.Signal()), ws.Signal()
	default:
		return -1, 0
	}
}
