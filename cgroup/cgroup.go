// Package cgroup gives one job a cgroup of its own in the unified (v2)
// hierarchy, below the cgroup of the process that runs it: the kernel then
// knows the job's whole tree, however its processes fork, setsid or
// daemonize, so that one write to cgroup.kill kills all of it, cgroup.events
// says when none of it is left, cpu.stat counts the CPU time of all of it,
// and memory.max, cpu.max and pids.max cap it where the host enables those
// controllers.
//
// A process may create cgroups below its own only when it may write there:
// as root, or in a cgroup delegated to its user (systemd's Delegate=).
// Elsewhere [New] fails with ErrUnavailable and a reason, and the caller
// runs the job as it would without cgroups; [Probe] tells why up front.
//
// The package is imported by the shim, which every job starts, so it keeps
// to small packages: no fmt, no bufio.
package cgroup

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrUnavailable is wrapped by the errors of Own, New and Probe when this
// process cannot give a job a cgroup: no unified hierarchy, no permission
// to create cgroups in it, or a kernel without cgroup.kill.
var ErrUnavailable = errors.New("cgroup: unavailable")

// ErrNoController is wrapped by the error of Group.Set when the controller
// the file belongs to is not enabled in the group.
var ErrNoController = errors.New("cgroup: controller not available")

// ErrPopulated is wrapped by the errors of WaitEmpty and Remove when
// processes are left in the group.
var ErrPopulated = errors.New("cgroup: processes left")

// namePrefix starts the name of every cgroup New creates, so that an
// operator can tell switchman's runs from other cgroups.
const namePrefix = "switchman-"

// pollInterval is the pause between reads of cgroup.events while waiting
// for a group to empty: SIGKILLed processes go within milliseconds, and a
// read of a small kernel file every 5 ms costs next to nothing.
const pollInterval = 5 * time.Millisecond

// Group is one cgroup, named by its directory. Its methods may be called
// from several goroutines.
type Group struct {
	// Dir is the cgroup's directory, e.g.
	// /sys/fs/cgroup/system.slice/cron.service/switchman-1234-1.
	Dir string
}

// Open returns the Group whose directory is dir, which New created.
func Open(dir string) *Group { return &Group{Dir: dir} }

// seq numbers the cgroups this process creates.
var seq atomic.Int64

// New creates a cgroup of its own below the cgroup directory parent, named
// switchman-PID-N, and checks that it can kill and watch its processes.
// Its error wraps ErrUnavailable and says why: no permission (neither root
// nor delegated), a read-only hierarchy, or a kernel older than cgroup.kill
// (Linux 5.14). The caller removes the group with Remove.
func New(parent string) (*Group, error) {
	prefix := strings.TrimSuffix(parent, "/") + "/" + namePrefix + strconv.Itoa(os.Getpid()) + "-"
	for range 1000 {
		dir := prefix + strconv.FormatInt(seq.Add(1), 10)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, os.ErrExist) && syscall.Rmdir(dir) == nil {
			// Left behind by a dead process that had our pid (killed
			// between its mkdir and its shim's start): empty, so its
			// name is taken back and the leftover does not stay.
			err = os.Mkdir(dir, 0o755)
		}
		if errors.Is(err, os.ErrExist) {
			continue // left behind with processes still in it
		}
		if err != nil {
			return nil, unavailable("cannot create a cgroup below "+parent, pathErrno(err), createHint(err))
		}
		g := &Group{Dir: dir}
		if _, err := os.Stat(g.file("cgroup.kill")); err != nil {
			_ = g.Remove()
			return nil, unavailable("the kernel lacks cgroup.kill", nil, "it came with Linux 5.14")
		}
		return g, nil
	}
	return nil, unavailable("no free cgroup name below "+parent, nil, "")
}

// createHint says what a failed mkdir of a cgroup means.
func createHint(err error) string {
	switch {
	case errors.Is(err, os.ErrPermission):
		return "switchman is not root and its cgroup is not delegated to its user"
	case errors.Is(err, syscall.EROFS):
		return "the cgroup hierarchy is mounted read-only"
	default:
		return ""
	}
}

// parentDir returns the directory that holds dir.
func parentDir(dir string) string {
	if i := strings.LastIndexByte(dir, '/'); i > 0 {
		return dir[:i]
	}
	return "/"
}

// file returns the path of one of the group's interface files.
func (g *Group) file(name string) string { return g.Dir + "/" + name }

// Controllers returns the controllers enabled in the group (its
// cgroup.controllers): those that its parent hands down.
func (g *Group) Controllers() ([]string, error) {
	b, err := os.ReadFile(g.file("cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// Set writes value to the group's interface file name, which belongs to
// controller. When the controller is not enabled in the group, its error
// wraps ErrNoController and names what the host lacks, without writing.
func (g *Group) Set(controller, name, value string) error {
	have, err := g.Controllers()
	if err != nil {
		return err
	}
	for _, c := range have {
		if c == controller {
			return os.WriteFile(g.file(name), []byte(value), 0)
		}
	}
	enabled := strings.Join(have, " ")
	if enabled == "" {
		enabled = "none"
	}
	return &Error{Sentinel: ErrNoController, What: "no " + controller + " controller below " + parentDir(g.Dir),
		Hint: "the controllers enabled there are: " + enabled}
}

// Join moves the calling process into the group; a process already in
// it stays. A process that joins before it execs the job puts the job's
// whole tree in the group, with no window for a fork to escape.
func (g *Group) Join() error {
	// "0" is the writing process itself.
	return os.WriteFile(g.file("cgroup.procs"), []byte("0"), 0)
}

// Kill SIGKILLs every process in the group and in its descendants at once
// (cgroup.kill), including processes forking while it runs.
func (g *Group) Kill() error {
	return os.WriteFile(g.file("cgroup.kill"), []byte("1"), 0)
}

// Populated reports whether a live process is in the group or below it
// ("populated 1" in cgroup.events). Zombies do not count.
func (g *Group) Populated() (bool, error) {
	b, err := os.ReadFile(g.file("cgroup.events"))
	if err != nil {
		return false, err
	}
	v, ok := field(b, "populated")
	if !ok {
		return false, errors.New("cgroup: no populated line in " + g.file("cgroup.events"))
	}
	return v != "0", nil
}

// WaitEmpty waits until no live process is left in the group, or timeout
// has passed; then its error wraps ErrPopulated. It polls cgroup.events.
func (g *Group) WaitEmpty(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		populated, err := g.Populated()
		if err != nil || !populated {
			return err
		}
		if time.Now().After(deadline) {
			return &Error{Sentinel: ErrPopulated, What: g.Dir + " still has processes after " + timeout.String()}
		}
		time.Sleep(pollInterval)
	}
}

// Usage is what the processes of a group used, all of them, whether or
// not anyone waited for them.
type Usage struct {
	// CPU is their CPU time, user and system (cpu.stat usage_usec).
	CPU time.Duration
	// MemoryPeak is the group's peak memory use in bytes (memory.peak),
	// zero when the memory controller is not enabled or the kernel is
	// older than memory.peak (Linux 5.19).
	MemoryPeak int64
}

// Usage reads the group's CPU time and peak memory.
func (g *Group) Usage() (Usage, error) {
	b, err := os.ReadFile(g.file("cpu.stat"))
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	v, _ := field(b, "usage_usec")
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return Usage{}, errors.New("cgroup: no usage_usec in " + g.file("cpu.stat"))
	}
	u.CPU = time.Duration(us) * time.Microsecond
	if b, err := os.ReadFile(g.file("memory.peak")); err == nil {
		u.MemoryPeak, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	return u, nil
}

// Remove removes the group, which must have no live process left; its
// error wraps ErrPopulated when one is. Removing a group already gone is
// not an error.
func (g *Group) Remove() error {
	err := syscall.Rmdir(g.Dir)
	switch {
	case err == nil || err == syscall.ENOENT:
		return nil
	case err == syscall.EBUSY:
		return &Error{Sentinel: ErrPopulated, What: "cannot remove " + g.Dir, Err: err}
	default:
		return &os.PathError{Op: "rmdir", Path: g.Dir, Err: err}
	}
}

// field returns the value of the line "key value" in a flat-keyed cgroup
// file such as cgroup.events or cpu.stat.
func field(b []byte, key string) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// Error is the error of this package: what failed, why (the errno, if
// any), and a hint of what it means for the host.
type Error struct {
	// Sentinel is ErrUnavailable, ErrNoController or ErrPopulated.
	Sentinel error
	// What says what could not be done.
	What string
	// Err is the underlying error, such as an errno; may be nil.
	Err error
	// Hint says what the failure means, e.g. which privilege is missing.
	Hint string
}

// Error reads "cgroup: unavailable: cannot create a cgroup below /x:
// permission denied (switchman is not root ...)".
func (e *Error) Error() string {
	s := e.Sentinel.Error() + ": " + e.What
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Sentinel}
	}
	return []error{e.Sentinel, e.Err}
}

func unavailable(what string, err error, hint string) error {
	return &Error{Sentinel: ErrUnavailable, What: what, Err: err, Hint: hint}
}

// pathErrno strips the path from an *os.PathError: the message names it.
func pathErrno(err error) error {
	var perr *os.PathError
	if errors.As(err, &perr) {
		return perr.Err
	}
	return err
}
