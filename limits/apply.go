package limits

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// ioprioWhoProcess is ioprio_set's IOPRIO_WHO_PROCESS: who is a thread id,
// 0 for the calling thread.
const ioprioWhoProcess = 1

// ioprioClassShift is where the class sits in an I/O priority value
// (IOPRIO_CLASS_SHIFT); the level is in the bits below.
const ioprioClassShift = 13

// Apply puts l's per-process limits in force for the calling process,
// which is about to exec the job: its OOM score adjustment, I/O priority,
// nice value and rlimits, in that order. It ignores the cgroup limits.
//
// The nice value and the I/O priority belong to the calling thread on
// Linux and pass to the processes it starts, and an exec keeps those of
// the thread that calls it; so the caller locks its goroutine to its
// thread (runtime.LockOSThread) and execs from it. The rlimits come last
// because the caller's own runtime must live under them until the exec.
//
// Apply stops at the first limit the kernel refuses; its error wraps
// ErrRefused and the errno, and names the flag: "limits: kernel refused
// --rlimit nofile=unlimited:unlimited: operation not permitted".
func (l Limits) Apply() error {
	if l.OOMScoreAdj != nil {
		v := strconv.Itoa(*l.OOMScoreAdj)
		// A write is the only interface; lowering the score below what
		// was inherited needs CAP_SYS_RESOURCE, which is the usual refusal.
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(v), 0); err != nil {
			return refused(FlagOOMScoreAdj, v, err)
		}
	}
	if l.IOnice != nil {
		prio := uintptr(l.IOnice.Class)<<ioprioClassShift | uintptr(l.IOnice.Level)
		if _, _, errno := syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoProcess, 0, prio); errno != 0 {
			return refused(FlagIOnice, l.IOnice.String(), errno)
		}
	}
	if l.Nice != nil {
		// PRIO_PROCESS with who 0 is the calling thread on Linux.
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, *l.Nice); err != nil {
			return refused(FlagNice, strconv.Itoa(*l.Nice), err)
		}
	}
	for _, r := range l.Rlimits {
		// syscall.Setrlimit, not a raw prlimit: for RLIMIT_NOFILE it also
		// tells the Go runtime not to restore, at the exec, the soft limit
		// it raised for itself at start-up.
		if err := syscall.Setrlimit(r.number(), &syscall.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return refused(FlagRlimit, r.String(), err)
		}
	}
	return nil
}

// refusedError is a limit the kernel refused.
type refusedError struct {
	flag, value string
	err         error
}

func (e *refusedError) Error() string {
	return "limits: kernel refused --" + e.flag + " " + e.value + ": " + e.err.Error()
}

func (e *refusedError) Unwrap() []error { return []error{ErrRefused, e.err} }

// refused returns the error for a limit the kernel refused with err.
func refused(flag, value string, err error) error {
	var perr *os.PathError
	if errors.As(err, &perr) {
		err = perr.Err // the path is always the same file; the errno says why
	}
	return &refusedError{flag: flag, value: value, err: err}
}
