// Package procstat reads what switchman needs of /proc/PID/stat: a
// process's name, state, parent, process group and start time.
//
// A pid alone does not name a process for long: pid_max is often 32768,
// and a busy host reuses pids within minutes. The start time (field 22,
// clock ticks after boot) does: a pid and a start time together name one
// process for the life of the host.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Stat is what this package reads of one process.
type Stat struct {
	PID, PPID, PGID int
	// Comm is the command name, as the kernel keeps it (at most 15 bytes).
	Comm string
	// State is the one-letter state: R, S, D, Z (zombie), X (dead)...
	State byte
	// Start is the start time in clock ticks after boot.
	Start uint64
}

// Zombie reports whether the process has exited and waits to be reaped
// (or is being reaped).
func (s Stat) Zombie() bool { return s.State == 'Z' || s.State == 'X' }

// ErrMalformed means a stat line could not be parsed.
var ErrMalformed = errors.New("procstat: malformed stat line")

// Read reads /proc/pid/stat. A process that does not exist is an error
// that matches os.ErrNotExist; one that ended while it was read, one that
// matches syscall.ESRCH.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	st, err := Parse(b)
	if err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return st, nil
}

// Parse parses a stat line: "pid (comm) state ppid pgrp session tty_nr
// tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
// priority nice num_threads itrealvalue starttime ...". The name may hold
// spaces and parentheses itself, so the fields are counted after the last
// ')'.
func Parse(b []byte) (Stat, error) {
	lp, rp := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if lp < 0 || rp < lp {
		return Stat{}, ErrMalformed
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:lp])))
	if err != nil {
		return Stat{}, fmt.Errorf("%w: pid: %w", ErrMalformed, err)
	}
	f := bytes.Fields(b[rp+1:])
	const startField = 22 - 3 // field 22, counted from the state (field 3)
	if len(f) <= startField || len(f[0]) != 1 {
		return Stat{}, ErrMalformed
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	start, err3 := strconv.ParseUint(string(f[startField]), 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return Stat{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return Stat{PID: pid, PPID: ppid, PGID: pgid, Comm: string(b[lp+1 : rp]), State: f[0][0], Start: start}, nil
}

// Proc names one process: its pid and its start time.
type Proc struct {
	PID   int
	Start uint64
}

// Self names this process.
func Self() (Proc, error) {
	st, err := Read(os.Getpid())
	return Proc{PID: st.PID, Start: st.Start}, err
}

// Gone reports whether p has certainly ended: no process has its pid, or
// the one that has started at another time. An error reading /proc other
// than the process's absence (no /proc mounted, say) is not proof: Gone
// is false then.
func (p Proc) Gone() bool {
	st, err := Read(p.PID)
	if err != nil {
		return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH)
	}
	return st.Start != p.Start || st.Zombie()
}
