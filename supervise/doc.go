// Package supervise runs one child process and supervises it until it and
// everything it started are gone.
//
// The package knows nothing of ZooKeeper or locks. Whoever decides that the
// child must stop (lock loss, a timeout, `switchman kill`) says so by
// cancelling the context given to [Child.Wait], with a cause; Wait then stops
// the child's whole process group: SIGTERM, a grace period, SIGKILL. A cause
// that has a KillBy() time.Time method shortens the grace so the SIGKILL lands
// no later than that instant.
//
// # Process tree
//
// The child runs in its own process group (its pgid is its pid), so one
// kill(-pgid) reaches every descendant that did not leave the group. When the
// direct child has exited, Wait SIGKILLs whatever is left of the group and
// waits, bounded, until the group is empty: a cron job must not leave
// stragglers behind.
//
// Descendants that called setsid() or setpgid() escape the group. When the
// program has called [EnableSubreaper], such a descendant is reparented to
// this process once its own parent dies, and Wait finds it by scanning
// /proc/*/stat for processes whose parent is this process, kills it and
// reaps it. An escaped descendant whose parent is still alive when the tree
// is torn down is found the same way once that parent has been killed. See
// [EnableSubreaper] for which of this process's children count as part of a
// Child's tree.
//
// # When this process dies
//
// The child is started with PR_SET_PDEATHSIG=SIGKILL, so it is killed when
// switchman is, even by SIGKILL. Linux ties that signal to the thread that
// forked the child, not to the process, and the Go runtime may retire
// threads; so the child is started from a goroutine locked to its OS thread
// that stays locked and alive until the child has been reaped. The race in
// which switchman dies between fork and the child's prctl call is closed by
// the Go runtime itself: the child compares getppid() with the pid recorded
// before the fork and kills itself if they differ (syscall/exec_linux.go).
//
// The parent-death signal reaches only the direct child, and the kernel
// clears it when the child execs a set-user-ID, set-group-ID or
// file-capability program. So, with [Options.Shim] set, the direct child is
// a shim ([RunShim]) that runs the command, has a catchable parent-death
// signal and is itself a child subreaper: every descendant of the job whose
// parent dies is reparented to the shim, whatever it did with sessions and
// process groups. When switchman dies, the shim kills its children, then
// the children that reparented to it, until it has none left: no
// descendant of the job survives a SIGKILLed switchman. The exceptions are
// processes that left the tree through something else: started on the
// job's behalf by a service manager (systemd-run, at) or, while they live,
// under a descendant that made itself a subreaper and escaped the kill
// (which needs it to survive SIGKILL: it cannot). A cgroup is the
// stronger form (see below).
//
// # Cgroups and limits
//
// With [Options.Cgroup] and a shim, and where the host lets this process
// create cgroups below its own (root, or a delegated cgroup; package
// cgroup), the command runs in a cgroup of its own. Everything it starts
// stays in it, however it forks or daemonizes, so the SIGKILL of a stop
// and the clean-up after the run are one write to cgroup.kill; the tree is
// gone when cgroup.events says "populated 0"; the Result has the CPU time
// of all of it (cpu.stat) and its peak memory (memory.peak, with the
// memory controller); and the cgroup is removed afterwards, by the shim
// when switchman was SIGKILLed. Without a cgroup everything works as
// described above.
//
// [Options.Limits] are put in force by a stage between the shim and the
// command: the shim's own program, started in the cgroup, applies the
// nice value, I/O priority, OOM score adjustment and rlimits to itself,
// then execs the command. They are the command's only: neither switchman
// nor the shim runs under them. A limit the kernel refuses is reported to
// Start on a pipe the exec would have closed, and Start fails with
// ErrLimits before the command runs. The memory, CPU and task caps are
// written to the cgroup, when its controllers are there.
//
// # Terminals
//
// Because the child is not in the foreground process group, a child that
// reads from a controlling terminal is stopped by SIGTTIN. Cron jobs have no
// terminal; interactive use is not supported.
package supervise
