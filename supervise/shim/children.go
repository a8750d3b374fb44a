package shim

import (
	"os"
	"strconv"
)

// children returns the pids of this process's children, from the
// children files of its tasks (/proc/self/task/TID/children), or from a
// scan of every /proc/PID/stat on kernels built without them. Zombies are
// left out: they are dead already, and reapAll reaps them.
func children() []int {
	if kids, ok := fromTasks(); ok {
		return kids
	}
	var kids []int
	self := os.Getpid()
	for _, pid := range listPids("/proc") {
		if ppid, state, ok := stat(pid); ok && ppid == self && state != 'Z' {
			kids = append(kids, pid)
		}
	}
	return kids
}

// fromTasks reads the children files of this process's tasks; ok is false
// when the kernel does not provide them.
func fromTasks() (kids []int, ok bool) {
	dir := "/proc/" + strconv.Itoa(os.Getpid()) + "/task/"
	tasks := listPids(dir)
	if len(tasks) == 0 {
		return nil, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + strconv.Itoa(t) + "/children")
		if err != nil {
			if _, terr := os.Stat(dir + strconv.Itoa(t)); terr == nil {
				return nil, false // the task exists but has no children file
			}
			continue // the thread exited since the listing
		}
		for _, f := range fields(b) {
			if pid, err := strconv.Atoi(f); err == nil {
				if _, state, ok := stat(pid); ok && state != 'Z' {
					kids = append(kids, pid)
				}
			}
		}
	}
	return kids, true
}

// listPids returns the numeric names in dir.
func listPids(dir string) []int {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var pids []int
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// stat reads the parent pid and state of pid from /proc/pid/stat: "pid
// (comm) state ppid ...", where comm may hold spaces and parentheses, so
// fields are counted after the last ')'.
func stat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	end := -1
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			end = i
			break
		}
	}
	if end < 0 {
		return 0, 0, false
	}
	f := fields(b[end+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0][0], err == nil
}

// fields splits b at spaces and newlines.
func fields(b []byte) []string {
	var out []string
	start := -1
	for i, c := range b {
		if c == ' ' || c == '\n' || c == '\t' {
			if start >= 0 {
				out = append(out, string(b[start:i]))
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, string(b[start:]))
	}
	return out
}
