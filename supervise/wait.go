package supervise

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrTimeout is the Result.StopCause when Options.Timeout was exceeded.
var ErrTimeout = errors.New("supervise: timeout")

// ErrStopRequested is the Result.StopCause when Child.Stop was called.
var ErrStopRequested = errors.New("supervise: stop requested")

// ForwardedSignal is the Result.StopCause when a caught signal that ends a
// program (SIGTERM, SIGINT, SIGHUP or SIGQUIT) was forwarded to the child.
type ForwardedSignal struct {
	Signal syscall.Signal
}

// Error names the signal, e.g. "supervise: forwarded SIGHUP".
func (e *ForwardedSignal) Error() string {
	return "supervise: forwarded " + signalName(e.Signal)
}

// Timing constants.
const (
	// killByMargin is how early the SIGKILL is aimed before a cause's
	// KillBy(): Go timers fire late by scheduling latency, usually well
	// under a millisecond but tens of milliseconds on a loaded host, and the
	// KILL must land before the deadline, not after.
	killByMargin = 25 * time.Millisecond
	// leftoverTimeout bounds the wait for the rest of the tree to disappear
	// after the direct child exited: SIGKILLed processes normally vanish
	// within milliseconds, but one in uninterruptible sleep (a hung NFS
	// mount) may never go, and the wrapper must still return and release
	// its lock.
	leftoverTimeout = 5 * time.Second
	// leftoverPoll is the pause between checks for leftovers: short enough
	// to add no noticeable delay, long enough not to spin on the CPU.
	leftoverPoll = 5 * time.Millisecond
	// outputDrainTimeout bounds the wait for the output pipes to reach EOF
	// once the tree is dead: what is left is at most a pipe buffer, copied
	// in microseconds, so waiting longer only matters when a descendant we
	// could not kill holds a pipe, and then we must not hang (the role of
	// exec.Cmd.WaitDelay).
	outputDrainTimeout = time.Second
)

// stopState records the stop of one child.
type stopState struct {
	stopped   bool  // a stop was requested or a terminating signal forwarded
	cause     error // the first reason for the stop
	signalled bool  // our own stop signal (not a forwarded one) was sent
	killed    bool  // the group was SIGKILLed while the child ran
	killAt    time.Time
	timer     *time.Timer // fires escalate at killAt
	reaped    bool        // the child was reaped: the group must not be signalled any more by stops
}

// Wait supervises the child until it exits and returns its Result.
//
// When ctx is done, Wait stops the child's whole process group: SIGTERM,
// then SIGKILL after Options.Grace. If context.Cause(ctx) has (or wraps an
// error that has) a KillBy() time.Time method, the SIGKILL is sent no later
// than that instant, at once if it has passed. Options.Timeout and forwarded
// terminating signals stop the child the same way; the first reason is the
// Result's StopCause, and later ones can only bring the SIGKILL forward.
//
// Wait returns only after the child has been reaped and its process group
// is empty: leftovers in the group are SIGKILLed when the child exits (and,
// with EnableSubreaper, escaped descendants too), bounded by a few seconds
// for processes that cannot die. Options.Signals are forwarded only while Wait
// runs. Wait is meant to be called once; later calls return the first
// call's Result.
func (c *Child) Wait(ctx context.Context) Result {
	c.waitOnce.Do(func() {
		c.result = c.supervise(ctx)
		close(c.waited)
	})
	<-c.waited
	return c.result
}

// Stop asks for the same stop as a cancelled context, with ErrStopRequested
// as the cause: sig (SIGTERM when zero) to the process group, then SIGKILL
// after the grace. It does not wait; Wait reports the outcome. The stop
// signal is sent once: after a stop was requested (by Stop, the context or
// the timeout), Stop only sends SIGKILL, when sig is SIGKILL. A call after
// the child exited does nothing.
func (c *Child) Stop(sig syscall.Signal) {
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	c.requestStop(sig, ErrStopRequested)
}

// supervise is Wait's loop: it turns every reason to stop into requestStop
// and forwards caught signals, until the reaping goroutine reports.
func (c *Child) supervise(ctx context.Context) Result {
	caught := c.opts.Signals
	sweeps := subreaper() && c.startTicks != 0
	orphaned := make(chan os.Signal, 1)
	if sweeps {
		// SIGCHLD tells us an orphan reparented to us may have exited;
		// reaping it then keeps zombies from piling up during a long run.
		signal.Notify(orphaned, syscall.SIGCHLD)
		defer signal.Stop(orphaned)
	}
	timeout, stopTimer := c.timeoutTimer()
	defer stopTimer()
	done := ctx.Done()
	for {
		select {
		case ex := <-c.exited:
			return c.finish(ex, sweeps)
		case <-done:
			done = nil
			c.requestStop(syscall.SIGTERM, context.Cause(ctx))
		case <-timeout:
			timeout = nil
			c.requestStop(syscall.SIGTERM, ErrTimeout)
		case sig := <-caught:
			if s, ok := sig.(syscall.Signal); ok {
				c.forward(s)
			}
		case <-orphaned:
			c.sweepOrphans(false)
		}
	}
}

// timeoutTimer returns a channel that fires when Options.Timeout is
// exceeded (nil without a timeout) and a function releasing the timer.
func (c *Child) timeoutTimer() (<-chan time.Time, func()) {
	if c.opts.Timeout <= 0 {
		return nil, func() {}
	}
	t := time.NewTimer(time.Until(c.started.Add(c.opts.Timeout)))
	return t.C, func() { t.Stop() }
}

// finish cleans up after the reaped child and builds the Result.
func (c *Child) finish(ex exitInfo, sweeps bool) Result {
	c.clearTree(sweeps)
	c.stdio.wait(outputDrainTimeout)
	r := c.resultOf(ex)
	c.cgroupResult(&r)
	c.log.Debug().Int("pid", r.PID).Int("exit_code", r.ExitCode).Int("signal", int(r.Signal)).
		Int64("duration_ms", r.Wall.Milliseconds()).Int64("max_rss_kb", r.MaxRSSKB).
		Bool("stopped", r.Stopped).Bool("killed", r.Killed).Msg("child exited")
	return r
}

// requestStop starts a stop or brings its SIGKILL forward.
func (c *Child) requestStop(sig syscall.Signal, cause error) {
	killBy, hasKillBy := killByOf(cause)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop.reaped {
		return
	}
	c.noteStopLocked(cause)
	if sig == syscall.SIGKILL || (hasKillBy && !time.Now().Before(killBy)) {
		c.killLocked("kill requested or kill-by deadline reached")
		return
	}
	if !c.stop.signalled {
		c.stop.signalled = true
		c.log.Debug().Int("pid", c.pid).Str("signal", signalName(sig)).AnErr("cause", cause).Msg("stopping child")
		c.signalGroupLocked(sig)
	}
	c.armKillLocked(killBy)
}

// forward passes a caught signal on to the process group; one that ends a
// program also starts (or joins) a stop, so a child that ignores it is
// SIGKILLed after the grace.
func (c *Child) forward(sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop.reaped {
		return
	}
	c.log.Debug().Int("pid", c.pid).Str("signal", signalName(sig)).Msg("forwarding signal")
	c.signalGroupLocked(sig)
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT:
		c.noteStopLocked(&ForwardedSignal{Signal: sig})
		c.armKillLocked(time.Time{})
	}
}

// noteStopLocked records the first reason for a stop.
func (c *Child) noteStopLocked(cause error) {
	if !c.stop.stopped {
		c.stop.stopped = true
		c.stop.cause = cause
	}
}

// armKillLocked schedules the SIGKILL at the grace's end or at killBy,
// whichever is earlier, unless one is already scheduled earlier still.
func (c *Child) armKillLocked(killBy time.Time) {
	if c.stop.killed {
		return
	}
	at := time.Now().Add(c.opts.Grace)
	if !killBy.IsZero() && killBy.Before(at) {
		at = killBy
	}
	if c.stop.timer != nil {
		if !at.Before(c.stop.killAt) {
			return
		}
		c.stop.timer.Stop()
	}
	c.stop.killAt = at
	c.stop.timer = time.AfterFunc(time.Until(at), c.escalate)
}

// escalate is the SIGKILL at the end of the grace.
func (c *Child) escalate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop.reaped || c.stop.killed {
		return
	}
	c.killLocked("grace expired")
}

// killLocked SIGKILLs the process group.
func (c *Child) killLocked(why string) {
	if c.stop.killed {
		return
	}
	c.stop.killed = true
	if c.stop.timer != nil {
		c.stop.timer.Stop()
	}
	ev := c.log.Warn()
	if c.opts.Planned != nil && c.opts.Planned(c.stop.cause) {
		ev = c.log.Info()
	}
	ev.Int("pid", c.pid).Str("reason", why).Int64("grace_ms", c.opts.Grace.Milliseconds()).
		AnErr("cause", c.stop.cause).Msg("killing child")
	c.signalGroupLocked(syscall.SIGKILL)
	c.killCgroupLocked()
}

// signalGroupLocked sends sig to the child's process group. Callers check
// stop.reaped first: until the child is reaped it, a zombie at worst, keeps
// the group id in use, so the signal cannot reach an unrelated group that
// reused the id. (Between the reap and markReaped lie microseconds, far too
// few for pid numbers to wrap around.)
func (c *Child) signalGroupLocked(sig syscall.Signal) {
	if err := unix.Kill(-c.pid, sig); err != nil {
		c.log.Debug().Int("pid", c.pid).Str("signal", signalName(sig)).Err(err).Msg("signal process group")
	}
}

// markReaped records that the child was reaped, so no stop signals the
// group any more.
func (c *Child) markReaped() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stop.reaped = true
	if c.stop.timer != nil {
		c.stop.timer.Stop()
	}
}

// killByOf returns the deadline of a cause that has a KillBy method, moved
// forward by killByMargin.
func killByOf(cause error) (time.Time, bool) {
	var kb interface{ KillBy() time.Time }
	if cause == nil || !errors.As(cause, &kb) {
		return time.Time{}, false
	}
	return kb.KillBy().Add(-killByMargin), true
}

// signalName returns a signal's name, such as "SIGTERM".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return sig.String()
}
