package history

import (
	"fmt"
	"os"
	"strings"
)

// StartedPID returns the pid of the first child recorded in the log at
// path, or 0 when the log is missing, unreadable or has no run yet: a
// harness polls it to learn the pid of the child its wrapper started.
func StartedPID(path string) int {
	runs, err := ParseFile(path)
	if err != nil || len(runs) == 0 {
		return 0
	}
	return runs[0].PID
}

// Alive reports whether pid is a live (not zombie) process named
// histchild: the name check guards against pid reuse, the state check
// against an unreaped zombie (a container's init may not reap). Linux only
// (/proc).
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < 0 || rp+2 >= len(s) || s[lp+1:rp] != "histchild" {
		return false
	}
	state := s[rp+2]
	return state != 'Z' && state != 'X'
}
