// Command zkfloor is the least a ZooKeeper-locked wrapper written in Go
// can do, for make bench to measure as a floor: connect with the same
// client library switchman uses, create one ephemeral node, run the
// command (fork, exec, wait), close the session. No config, no groups, no
// run record, no supervision, no checks: whatever switchman takes beyond
// this is its own.
//
// Usage: zkfloor SERVERS NODE CMD [ARGS...]; exits with CMD's status; 0
// without running CMD when NODE already exists (a busy lock, skipped as
// switchman skips it); 70 when ZooKeeper refuses.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: zkfloor SERVERS NODE CMD [ARGS...]")
		os.Exit(64)
	}
	// The same start-up collector pause as switchman: a floor must not pay
	// what switchman does not.
	debug.SetGCPercent(-1)
	os.Exit(run(strings.Split(os.Args[1], ","), os.Args[2], os.Args[3:]))
}

func run(servers []string, node string, argv []string) int {
	session := make(chan struct{})
	c, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}),
		zk.WithEventCallback(func(e zk.Event) {
			if e.State == zk.StateHasSession {
				select {
				case <-session:
				default:
					close(session)
				}
			}
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkfloor:", err)
		return 70
	}
	defer c.Close()
	select {
	case <-session:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(os.Stderr, "zkfloor: no session")
		return 70
	}
	_, err = c.Create(node, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if errors.Is(err, zk.ErrNodeExists) {
		// Busy: another process holds the lock. Skip the command and close
		// the session (the deferred Close), as switchman does, so that the
		// bench's herd can measure this floor on a busy lock.
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkfloor: create:", err)
		return 70
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkfloor:", err)
		return 127
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return 70
	}
	return ws.ExitStatus()
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
