package shim

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/limits"
)

// Options of the shim, given before "--" when there are any:
//
//	-cgroup=DIR       run the job in the cgroup DIR
//	-limit=NAME=VALUE apply a limit (limits.Limits.Flags) to the job
//	-exec             be the job's stage (see runStage), not the shim
const (
	optCgroup = "-cgroup="
	optLimit  = "-limit="
	optExec   = "-exec"
)

// ReportFD is, when the shim has options, the write end of a pipe from
// its caller. The shim or the job's stage writes on it why the job could
// not be started (a limit the kernel refused, a cgroup it could not join)
// and exits; or it is closed unwritten once the job's command is exec'd:
// the caller reads it to the end to learn that the command runs.
const ReportFD = 3

// options are the parsed options of a shim or a stage.
type options struct {
	cgroup string
	limits limits.Limits
	exec   bool
}

// Args returns the shim's options, up to and with "--", for a job in the
// cgroup directory cgroupDir ("" for none) with lim applied to it; nil
// when there is neither, and the shim then takes no descriptor ReportFD.
func Args(cgroupDir string, lim limits.Limits) []string {
	if cgroupDir == "" && !lim.Process() {
		return nil
	}
	var out []string
	if cgroupDir != "" {
		out = append(out, optCgroup+cgroupDir)
	}
	for _, f := range lim.Flags() {
		out = append(out, optLimit+f)
	}
	return append(out, "--")
}

// parseOptions splits args into the options, up to "--", and the rest.
// Without options, args are returned as they are.
func parseOptions(args []string) (options, []string, bool) {
	var o options
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return o, args, true
	}
	for i, a := range args {
		switch {
		case a == "--":
			return o, args[i+1:], true
		case a == optExec:
			o.exec = true
		case strings.HasPrefix(a, optCgroup):
			o.cgroup = a[len(optCgroup):]
		case strings.HasPrefix(a, optLimit):
			if err := o.limits.SetFlag(a[len(optLimit):]); err != nil {
				return o, nil, false
			}
		default:
			return o, nil, false
		}
	}
	return o, nil, false // no "--"
}

// stageArgv is the argv of the stage that joins the cgroup, applies the
// limits and execs path with argv.
func (o options) stageArgv(path string, argv []string) []string {
	out := []string{"switchman-shim", Arg, optExec}
	out = append(out, Args(o.cgroup, o.limits)...)
	return append(append(out, path), argv...)
}

// staged reports whether the job starts through a stage: it has a cgroup
// or limits to apply.
func (o options) staged() bool { return o.cgroup != "" || o.limits.Process() }

// start forks the job: the command itself, born in the cgroup when
// there is one; or, with limits to apply, the stage that execs the
// command once they are in place.
func (o options) start(path string, argv []string) (int, error) {
	attr := &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		// The job dies with the shim, even with a shim SIGKILLed.
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	if !o.staged() {
		return syscall.ForkExec(path, argv, attr)
	}
	// The report descriptor is the shim's and the stage's: the command
	// must not inherit it, and it must reach the end once they are done.
	syscall.CloseOnExec(ReportFD)
	if !o.limits.Process() {
		if pid, err := o.forkInto(path, argv, attr); err == nil {
			_ = syscall.Close(ReportFD)
			return pid, nil
		}
		// A kernel before 5.7 cannot start a process in a cgroup, and a
		// command that cannot be exec'd is best reported as the stage
		// reports it: let the stage join the cgroup and exec.
	}
	attr.Files = append(attr.Files, ReportFD)
	pid, err := o.forkStage(path, argv, attr)
	if err == nil {
		// The stage has its own copy; ours would keep the caller from
		// ever reading the end.
		_ = syscall.Close(ReportFD)
	}
	return pid, err
}

// forkInto forks path with argv in the job's cgroup from the start
// (clone3's CLONE_INTO_CGROUP), so that all its CPU time is counted
// there and nothing it forks can be outside.
func (o options) forkInto(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	fd, err := syscall.Open(o.cgroup, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer syscall.Close(fd)
	sys := *attr.Sys
	sys.UseCgroupFD, sys.CgroupFD = true, fd
	in := *attr
	in.Sys = &sys
	return syscall.ForkExec(path, argv, &in)
}

// forkStage forks the stage, in the cgroup if it can (so that the CPU
// time of its start is the job's too); otherwise the stage joins it.
func (o options) forkStage(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	// /proc/self/exe is this very program, even if its file was replaced
	// or removed (a package upgrade) since it started.
	self, stage := "/proc/self/exe", o.stageArgv(path, argv)
	if o.cgroup != "" {
		if pid, err := o.forkInto(self, stage, attr); err == nil {
			return pid, nil
		}
	}
	return syscall.ForkExec(self, stage, attr)
}

// fail tells the caller, on the report descriptor, why the job cannot
// start, and returns the shim's code for it.
func (o options) fail(msg string) int {
	_, _ = syscall.Write(ReportFD, []byte(msg))
	return exitSoftware
}

// killJob kills the job's whole tree after switchman died: at once
// through its cgroup, when it has one, and by killing the shim's
// children until it has none left (a stage that has not joined the
// cgroup yet is one); then it waits for the cgroup to empty and removes
// it, since switchman is not there to. All of it within killTimeout.
func (o options) killJob(empty <-chan struct{}) {
	deadline := time.Now().Add(killTimeout)
	var g *cgroup.Group
	if o.cgroup != "" {
		g = cgroup.Open(o.cgroup)
		_ = g.Kill()
	}
	killDescendants(empty, deadline)
	if g != nil && g.WaitEmpty(time.Until(deadline)) == nil {
		_ = g.Remove()
	}
}

// runStage is the job's process between the shim's fork and the exec of
// the command, a second start of the shim's program: it makes sure it is
// in the job's cgroup, so that everything the job ever starts is in it;
// applies the limits to itself, so that they are the command's from its
// first instruction; and execs the command in its place. It returns only
// when something failed: a refusal goes to the report descriptor (the
// command never runs), an exec error to stderr, as the shim would say it.
//
// Doing this in a process of its own keeps the limits off the shim, whose
// Go runtime might not live under a small address space or file limit,
// and lets a refusal be told apart from the command's own exit status.
func runStage(o options, args []string) int {
	if len(args) < 2 {
		return o.fail("switchman-shim: stage without a command")
	}
	// The nice value and I/O priority are the calling thread's, and the
	// exec keeps those of the thread that calls it: one thread for both.
	runtime.LockOSThread()
	if o.cgroup != "" {
		if err := cgroup.Open(o.cgroup).Join(); err != nil {
			return o.fail("join cgroup " + o.cgroup + ": " + err.Error())
		}
	}
	if err := o.limits.Apply(); err != nil {
		return o.fail(err.Error())
	}
	// The exec closes the report descriptor, which tells the caller the
	// command runs; the command never sees it.
	syscall.CloseOnExec(ReportFD)
	err := syscall.Exec(args[0], args[1:], os.Environ())
	return startFailed(args[1], args[0], err)
}
