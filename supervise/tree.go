package supervise

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/acme/switchman/internal/procstat"
)

// live records the processes started by Start whose trees are not cleaned
// up yet, so that a sweep for one Child's orphans leaves the others' alone.
var live = struct {
	sync.Mutex
	// pids holds the direct children not reaped yet. Each is reaped by its
	// own Child; a sweep that reaped one would steal its exit status.
	pids map[int]bool
	// groups holds their process group ids until their Wait has cleared
	// the group, so leftovers of one group are not taken for another
	// Child's orphans.
	groups map[int]bool
}{pids: map[int]bool{}, groups: map[int]bool{}}

// startRegistered starts a process and records it in live. Holding the lock
// across the start keeps a concurrent sweep from seeing the new process
// before it is recorded.
//
// It forks with syscall.ForkExec, not os.StartProcess: the first
// os.StartProcess of a process forks a throw-away child to probe pidfd
// support, a clone every run would pay for nothing. The pid is safe to
// signal and wait for without a pidfd: it stays ours until we reap it.
func startRegistered(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	live.Lock()
	defer live.Unlock()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err == nil {
		live.pids[pid] = true
		live.groups[pid] = true // Setpgid: the group id is the pid
	}
	return pid, err
}

// reaped removes a reaped child from live.pids.
func reaped(pid int) {
	live.Lock()
	defer live.Unlock()
	delete(live.pids, pid)
}

// cleared removes a child's group from live.groups once Wait cleared it.
func cleared(pgid int) {
	live.Lock()
	defer live.Unlock()
	delete(live.groups, pgid)
}

// EnableSubreaper makes this process a child subreaper
// (PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to it
// instead of to init. Wait can then find descendants that escaped the
// child's process group with setsid() or setpgid() once their parent has
// died, SIGKILL them when the child has exited, and reap them; and it reaps
// such orphans that exit while the child runs, on SIGCHLD, so they do not
// pile up as zombies. switchman's main calls it once, early.
//
// It affects the whole process, and Wait cannot tell where an orphan came
// from. With the subreaper on, Wait treats as part of its child's tree every
// child of this process that is not a direct child started by Start, started
// no earlier than the child, and is not in the process group of another
// Child whose Wait has not finished. So a program that enables it must not
// start other processes (with os/exec, say) while a Child is being
// supervised; and when several Childs run at once, a descendant of one that
// escaped with setsid() may be killed by another's Wait. switchman
// supervises one Child and starts nothing else.
func EnableSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("supervise: enable subreaper: %w", err)
	}
	return nil
}

// subreaper reports whether this process is a child subreaper.
func subreaper() bool {
	var on int32
	// PR_GET_CHILD_SUBREAPER stores the flag through the int pointer in arg2.
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&on)), 0, 0, 0)
	return err == nil && on != 0
}

// clearTree runs after the direct child was reaped. It SIGKILLs what is left
// of the process group and, when sweeps is set, the escaped descendants that
// were reparented to us, reaping what it can, until nothing is left or
// leftoverTimeout has passed. Killing one escaped process may reparent its
// children to us, so this repeats until a round finds nothing.
//
// With a cgroup, one write to cgroup.kill kills the whole tree first, and
// cgroup.events says when it is gone; what is left for the loop is to reap
// the zombies reparented to us.
func (c *Child) clearTree(sweeps bool) {
	if c.cg != nil {
		c.killCgroup()
	}
	deadline := time.Now().Add(leftoverTimeout)
	for round := 0; ; round++ {
		// The group id stays in use, and cannot be reused, while any
		// member, zombie or not, exists; so ESRCH means the group is gone.
		group := unix.Kill(-c.pid, syscall.SIGKILL) == nil
		orphans := 0
		if sweeps {
			orphans = c.sweepOrphans(true)
		}
		if round == 0 && (group || orphans > 0) {
			c.log.Debug().Int("pid", c.pid).Bool("group", group).Int("orphans", orphans).Msg("killing leftover processes")
		}
		if !group && orphans == 0 {
			cleared(c.pid)
			return
		}
		if time.Now().After(deadline) {
			c.log.Debug().Int("pid", c.pid).Bool("group", group).Int("orphans", orphans).Msg("leftover processes did not go away")
			return
		}
		time.Sleep(leftoverPoll)
	}
}

// sweepOrphans finds this process's children that belong to c's tree (see
// EnableSubreaper), SIGKILLs the live ones when kill is set, and reaps those
// that have exited. It returns how many it found. Killing a process whose
// parent is us is safe from pid reuse: its pid stays taken until we reap it.
func (c *Child) sweepOrphans(kill bool) int {
	live.Lock()
	defer live.Unlock()
	if !hasChildren() {
		return 0 // the common end of a run: the direct child reaped, nothing reparented to us
	}
	kids, err := childrenOf(os.Getpid())
	if err != nil {
		c.log.Debug().Err(err).Msg("scan for orphans")
		return 0
	}
	found := 0
	for _, k := range kids {
		if !c.ownsLocked(k) {
			continue
		}
		found++
		if kill && !k.Zombie() {
			_ = unix.Kill(k.PID, syscall.SIGKILL)
		}
		var ws unix.WaitStatus
		// WNOHANG: a process in uninterruptible sleep must not block us;
		// the next round reaps it.
		_, _ = unix.Wait4(k.PID, &ws, unix.WNOHANG, nil)
	}
	return found
}

// hasChildren reports whether this process has a child, live or a zombie:
// one waitid that reaps nothing (WNOWAIT), where a scan for children reads
// a /proc file per thread of ours, several system calls each. Only ECHILD
// says no: on any other answer the caller scans.
func hasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return !errors.Is(err, unix.ECHILD)
}

// ownsLocked reports whether p, a child of this process, counts as part of
// c's tree. live must be locked.
func (c *Child) ownsLocked(p procstat.Stat) bool {
	switch {
	case live.pids[p.PID]:
		return false // a direct child of some Child: its own goroutine reaps it
	case p.Start < c.startTicks:
		return false // older than our child, so not its descendant
	case p.PGID != c.pid && live.groups[p.PGID]:
		return false // in the group of another Child, which clears it
	default:
		return true
	}
}

// startTicks returns a process's start time in clock ticks since boot.
func startTicks(pid int) (uint64, error) {
	st, err := procstat.Read(pid)
	return st.Start, err
}

// childrenOf scans /proc for the processes whose parent is ppid.
func childrenOf(ppid int) ([]procstat.Stat, error) {
	// /proc/PID/task/TID/children lists just this process's children: a
	// few reads instead of one per process on the box (a full scan cost
	// about 20 ms of CPU per run on a busy host). Kernels built without
	// CONFIG_PROC_CHILDREN lack the file: scan all of /proc then.
	if kids, ok := childrenFromTasks(ppid); ok {
		return kids, nil
	}
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read /proc: %w", err)
	}
	var kids []procstat.Stat
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue // not a process directory
		}
		st, err := procstat.Read(pid)
		if err != nil {
			continue // gone since the listing
		}
		if st.PPID == ppid {
			kids = append(kids, st)
		}
	}
	return kids, nil
}

// childrenFromTasks reads the children of ppid from its tasks' children
// files; ok is false when the kernel does not provide them.
func childrenFromTasks(ppid int) (kids []procstat.Stat, ok bool) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", ppid))
	if err != nil || len(tasks) == 0 {
		return nil, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", ppid, t.Name()))
		if errors.Is(err, os.ErrNotExist) {
			if _, terr := os.Stat(fmt.Sprintf("/proc/%d/task/%s", ppid, t.Name())); terr == nil {
				return nil, false // the task exists but has no children file
			}
			continue // the thread exited since the listing
		}
		if err != nil {
			return nil, false
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if st, err := procstat.Read(pid); err == nil && st.PPID == ppid {
				kids = append(kids, st)
			}
		}
	}
	return kids, true
}
