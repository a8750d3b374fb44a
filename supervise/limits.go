package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/limits"
	"github.com/acme/switchman/supervise/shim"
)

// ErrLimits is wrapped by the error of Start when the command was not
// started because its limits could not be put in force: the kernel
// refused one (the error then also says which, and why), the host has no
// cgroup or not the controller a cgroup limit needs (unless
// Options.LimitsBestEffort), or no shim was given to apply them.
var ErrLimits = errors.New("supervise: limits not applied")

// reportTimeout bounds how long Start waits to learn that the shim's stage
// exec'd the command: a Go program's start and a few system calls, well
// under a second even on a loaded host; an exec that hangs (a binary on a
// dead NFS server) must not keep Start from returning and Wait from
// watching the lock.
const reportTimeout = 10 * time.Second

// setUp prepares what the child needs before its fork: it checks that
// the limits can be applied and creates the run's cgroup, with the cgroup
// limits written, when the options ask for one. Its error wraps ErrLimits.
func (c *Child) setUp() error {
	lim := c.opts.Limits
	if c.opts.Shim == "" {
		if lim.Process() || lim.Cgroup() {
			return fmt.Errorf("%w: %s need a shim", ErrLimits, strings.Join(lim.Flags(), " "))
		}
		return nil
	}
	if !c.opts.Cgroup && !lim.Cgroup() {
		return nil
	}
	cg, err := newCgroup()
	if err != nil {
		c.log.Debug().Err(err).Msg("running without a cgroup")
		return c.cgroupLimitsLost(fmt.Errorf("%s: %w", cgroupFlags(lim), err))
	}
	c.cg = cg
	var missing []error
	for _, f := range lim.CgroupFiles() {
		if err := cg.Set(f.Controller, f.File, f.Value); err != nil {
			if !errors.Is(err, cgroup.ErrNoController) {
				c.removeCgroup()
				return fmt.Errorf("%w: --%s: %w", ErrLimits, f.Flag, err)
			}
			missing = append(missing, fmt.Errorf("--%s: %w", f.Flag, err))
		}
	}
	if err := errors.Join(missing...); err != nil {
		if err := c.cgroupLimitsLost(err); err != nil {
			c.removeCgroup()
			return err
		}
	}
	return nil
}

// cgroupFlags names the flags of lim's cgroup limits: "--memory-max
// --tasks-max".
func cgroupFlags(lim limits.Limits) string {
	var names []string
	for _, f := range lim.CgroupFiles() {
		names = append(names, "--"+f.Flag)
	}
	return strings.Join(names, " ")
}

// newCgroup creates the run's cgroup below this process's.
func newCgroup() (*cgroup.Group, error) {
	parent, err := cgroup.Own()
	if err != nil {
		return nil, err
	}
	return cgroup.New(parent)
}

// cgroupLimitsLost handles cgroup limits that cannot be enforced for
// reason: an error wrapping ErrLimits, or with Options.LimitsBestEffort
// one warning and nil. Without cgroup limits it is nil: the command just
// runs as it would without cgroups.
func (c *Child) cgroupLimitsLost(reason error) error {
	if !c.opts.Limits.Cgroup() {
		return nil
	}
	if !c.opts.LimitsBestEffort {
		return fmt.Errorf("%w: %w", ErrLimits, reason)
	}
	c.log.Warn().Err(reason).Msg("running without the limits this host cannot enforce")
	return nil
}

// shimOptions are the options the shim gets before "--": the run's
// cgroup and the limits its stage applies. nil when there are none.
func (c *Child) shimOptions() []string {
	dir := ""
	if c.cg != nil {
		dir = c.cg.Dir
	}
	return shim.Args(dir, c.opts.Limits)
}

// reportPipe returns the pipe on which the shim tells why the command
// could not start, when the shim has options; nil ends otherwise.
func (c *Child) reportPipe() (r, w *os.File, err error) {
	if c.shimOptions() == nil {
		return nil, nil, nil
	}
	return os.Pipe()
}

// readReport reads the shim's report to its end: "" when the command was
// exec'd, why not otherwise. It closes r.
func (c *Child) readReport(r *os.File) string {
	defer r.Close()
	// A pipe's read end is pollable, so the deadline applies.
	_ = r.SetReadDeadline(time.Now().Add(reportTimeout))
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		c.log.Debug().Err(err).Msg("read the shim's report")
	}
	return strings.TrimSpace(string(b))
}

// abandon cleans up after a child whose command was not started: the
// shim exits once its stage has, and Start returns no Child to Wait for.
func (c *Child) abandon() {
	select {
	case <-c.exited:
	case <-time.After(leftoverTimeout):
		c.mu.Lock()
		c.killLocked("the command's stage did not exit")
		c.mu.Unlock()
		<-c.exited // SIGKILLed: the reaping goroutine reports at once
	}
	c.clearTree(false)
	c.removeCgroup()
}

// killCgroup SIGKILLs everything in the run's cgroup and waits, bounded,
// until cgroup.events says none of it is left.
func (c *Child) killCgroup() {
	if err := c.cg.Kill(); err != nil {
		c.log.Debug().Err(err).Str("cgroup", c.cg.Dir).Msg("kill cgroup")
	}
	if err := c.cg.WaitEmpty(leftoverTimeout); err != nil {
		c.log.Debug().Err(err).Msg("cgroup did not empty")
	}
}

// cgroupResult records the run's cgroup and what its processes used in r,
// and removes the cgroup.
func (c *Child) cgroupResult(r *Result) {
	if c.cg == nil {
		return
	}
	r.Cgroup = c.cg.Dir
	u, err := c.cg.Usage()
	if err != nil {
		c.log.Debug().Err(err).Str("cgroup", c.cg.Dir).Msg("read cgroup usage")
	}
	r.CgroupCPU, r.CgroupMemoryPeak = u.CPU, u.MemoryPeak
	c.removeCgroup()
}

// removeCgroup removes the run's cgroup; one with a process that could
// not be killed stays, with a warning.
func (c *Child) removeCgroup() {
	if c.cg == nil {
		return
	}
	if err := c.cg.Remove(); err != nil {
		c.log.Warn().Err(err).Msg("cgroup left behind")
	}
}

// killCgroupLocked is the cgroup's part of a SIGKILL of the child's tree:
// it reaches the descendants that left the process group. Runs with mu
// held; the write returns at once.
func (c *Child) killCgroupLocked() {
	if c.cg == nil {
		return
	}
	if err := c.cg.Kill(); err != nil {
		c.log.Debug().Err(err).Str("cgroup", c.cg.Dir).Msg("kill cgroup")
	}
}
