// Package limits describes the resource limits of one job: its nice value,
// I/O priority, OOM score adjustment and rlimits, which the process that
// runs the job applies to itself just before it execs the command, and the
// caps on memory, CPU and tasks that the job's cgroup enforces.
//
// A Limits is built from the wrapper's flags with [Limits.Set], which
// checks each value (range, unit, soft limit not above the hard one), and
// written back as the same flags with [Limits.Flags]: that is how the
// limits travel to the shim, whose [Limits.Apply] puts them in force.
//
// The package is imported by the shim, which every job starts, so it
// keeps to small packages: no fmt, no reflection.
package limits

import (
	"errors"
	"slices"
	"strconv"
)

// Unlimited is the value of a limit that does not limit: "unlimited" for
// an rlimit (RLIM_INFINITY), "max" for a cgroup file.
const Unlimited = ^uint64(0)

// ErrInvalid is wrapped by the errors of Set and the parsers: a value
// that cannot be right, whatever the kernel says.
var ErrInvalid = errors.New("limits: invalid value")

// ErrRefused is wrapped by the error of Apply when the kernel refused a
// limit (permission, a value above what the host allows).
var ErrRefused = errors.New("limits: refused by the kernel")

// Limits are the limits of one job. The zero value limits nothing; a nil
// pointer or an empty Rlimits leaves that setting as the job inherits it.
type Limits struct {
	// Nice is the job's nice value, -20 (most favourable) to 19.
	Nice *int
	// IOnice is the job's I/O scheduling class and level.
	IOnice *IOnice
	// OOMScoreAdj is the job's /proc/PID/oom_score_adj, -1000 to 1000.
	OOMScoreAdj *int
	// Rlimits are the job's resource limits, one per resource, in the
	// order they were given.
	Rlimits []Rlimit
	// MemoryMax is the job cgroup's memory.max in bytes (Unlimited: max).
	MemoryMax *uint64
	// CPUMax is the job cgroup's CPU quota, in microseconds per
	// CPUPeriod (so 100000 is one whole CPU; Unlimited: max).
	CPUMax *uint64
	// TasksMax is the job cgroup's pids.max (Unlimited: max).
	TasksMax *uint64
}

// CPUPeriod is the cgroup cpu.max period, in microseconds, that CPUMax is
// a quota of: the kernel's default, 100 ms, as systemd uses for CPUQuota=.
const CPUPeriod = 100000

// Flag names, as the wrapper's flags spell them (without the dashes).
const (
	FlagNice        = "nice"
	FlagIOnice      = "ionice"
	FlagOOMScoreAdj = "oom-score-adj"
	FlagRlimit      = "rlimit"
	FlagMemoryMax   = "memory-max"
	FlagCPUMax      = "cpu-max"
	FlagTasksMax    = "tasks-max"
)

// Set parses value as the flag named name (one of the Flag constants) and
// stores it, replacing an earlier value of the same flag, or, for
// FlagRlimit, of the same resource. Its error wraps ErrInvalid and names
// the flag, the value and what would be right.
func (l *Limits) Set(name, value string) error {
	var err error
	switch name {
	case FlagNice:
		l.Nice, err = parseInto(value, ParseNice)
	case FlagIOnice:
		l.IOnice, err = parseInto(value, ParseIOnice)
	case FlagOOMScoreAdj:
		l.OOMScoreAdj, err = parseInto(value, ParseOOMScoreAdj)
	case FlagRlimit:
		var r Rlimit
		if r, err = ParseRlimit(value); err == nil {
			l.setRlimit(r)
		}
	case FlagMemoryMax:
		l.MemoryMax, err = parseInto(value, ParseMemoryMax)
	case FlagCPUMax:
		l.CPUMax, err = parseInto(value, ParseCPUMax)
	case FlagTasksMax:
		l.TasksMax, err = parseInto(value, ParseTasksMax)
	default:
		return invalid("", name, "no such limit; want nice, ionice, oom-score-adj, rlimit, memory-max, cpu-max or tasks-max")
	}
	return err
}

// parseInto parses value with parse and returns a pointer to the result,
// nil on an error.
func parseInto[T any](value string, parse func(string) (T, error)) (*T, error) {
	v, err := parse(value)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// setRlimit stores r, replacing a limit of the same resource.
func (l *Limits) setRlimit(r Rlimit) {
	i := slices.IndexFunc(l.Rlimits, func(o Rlimit) bool { return o.Resource == r.Resource })
	if i >= 0 {
		l.Rlimits[i] = r
		return
	}
	l.Rlimits = append(l.Rlimits, r)
}

// Process reports whether l has a limit that the job's process applies
// to itself (Apply): nice, ionice, oom-score-adj or an rlimit.
func (l Limits) Process() bool {
	return l.Nice != nil || l.IOnice != nil || l.OOMScoreAdj != nil || len(l.Rlimits) > 0
}

// Cgroup reports whether l has a limit that only a cgroup enforces:
// memory-max, cpu-max or tasks-max.
func (l Limits) Cgroup() bool {
	return l.MemoryMax != nil || l.CPUMax != nil || l.TasksMax != nil
}

// Flags returns l as "NAME=VALUE" words, one per flag (an rlimit is
// "rlimit=nofile=1024:4096"), in a fixed order; Set of each word's two
// halves rebuilds l exactly.
func (l Limits) Flags() []string {
	var out []string
	add := func(name, value string) { out = append(out, name+"="+value) }
	if l.Nice != nil {
		add(FlagNice, strconv.Itoa(*l.Nice))
	}
	if l.IOnice != nil {
		add(FlagIOnice, l.IOnice.String())
	}
	if l.OOMScoreAdj != nil {
		add(FlagOOMScoreAdj, strconv.Itoa(*l.OOMScoreAdj))
	}
	for _, r := range l.Rlimits {
		add(FlagRlimit, r.String())
	}
	if l.MemoryMax != nil {
		add(FlagMemoryMax, formatMax(*l.MemoryMax))
	}
	if l.CPUMax != nil {
		add(FlagCPUMax, formatPercent(*l.CPUMax))
	}
	if l.TasksMax != nil {
		add(FlagTasksMax, formatMax(*l.TasksMax))
	}
	return out
}

// SetFlag is Set for one word of Flags: "NAME=VALUE".
func (l *Limits) SetFlag(word string) error {
	for i := 0; i < len(word); i++ {
		if word[i] == '=' {
			return l.Set(word[:i], word[i+1:])
		}
	}
	return invalid("", word, "want NAME=VALUE")
}

// CgroupFile is one cgroup interface file to write: File in the job's
// cgroup gets Value, which needs Controller to be enabled there.
type CgroupFile struct {
	// Flag is the flag that asked for it, to name in messages.
	Flag string
	// Controller is the cgroup controller the file belongs to.
	Controller string
	// File is the interface file's name, e.g. "memory.max".
	File string
	// Value is what is written to it, e.g. "max" or "50000 100000".
	Value string
}

// CgroupFiles returns the cgroup files that enforce l's cgroup limits.
func (l Limits) CgroupFiles() []CgroupFile {
	var out []CgroupFile
	if l.MemoryMax != nil {
		out = append(out, CgroupFile{FlagMemoryMax, "memory", "memory.max", formatMax(*l.MemoryMax)})
	}
	if l.CPUMax != nil {
		out = append(out, CgroupFile{FlagCPUMax, "cpu", "cpu.max", formatMax(*l.CPUMax) + " " + strconv.Itoa(CPUPeriod)})
	}
	if l.TasksMax != nil {
		out = append(out, CgroupFile{FlagTasksMax, "pids", "pids.max", formatMax(*l.TasksMax)})
	}
	return out
}

// formatMax writes a cgroup limit: its number, or "max".
func formatMax(v uint64) string {
	if v == Unlimited {
		return "max"
	}
	return strconv.FormatUint(v, 10)
}

// formatPercent writes a CPU quota per CPUPeriod as a percentage of one
// CPU, exactly: 12500 is "12.5%".
func formatPercent(quota uint64) string {
	if quota == Unlimited {
		return "max"
	}
	s := strconv.FormatUint(quota/1000, 10)
	if frac := quota % 1000; frac != 0 {
		f := strconv.FormatUint(frac+1000, 10)[1:] // three digits, leading zeros kept
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s += "." + f
	}
	return s + "%"
}

// invalidError is a value that cannot be right.
type invalidError struct {
	flag, value, why string
}

func (e *invalidError) Error() string {
	what := "limits: invalid "
	if e.flag != "" {
		what += "--" + e.flag + " "
	}
	return what + strconv.Quote(e.value) + ": " + e.why
}

func (e *invalidError) Unwrap() error { return ErrInvalid }

// invalid returns the error for a value of flag that cannot be right; an
// empty flag for a flag name that cannot be right.
func invalid(flag, value, why string) error {
	return &invalidError{flag: flag, value: value, why: why}
}
