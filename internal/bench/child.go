package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// The bench re-executes its own binary as the job that switchman runs (as
// os/exec's tests do): a Go child records the instant it receives SIGTERM
// far more precisely than a shell trap, and needs no separate build step.
// The environment variables below select and parameterise that mode.
const (
	envChild   = "SWITCHMAN_BENCH_CHILD"   // mode: "wait", "herd" or "burst"
	envReady   = "SWITCHMAN_BENCH_READY"   // file written once the TERM handler is installed
	envTerm    = "SWITCHMAN_BENCH_TERM"    // file receiving the UnixNano of SIGTERM's arrival
	envRan     = "SWITCHMAN_BENCH_RAN"     // herd: file each child that ran appends a line to
	envRelease = "SWITCHMAN_BENCH_RELEASE" // herd: the child exits once this file exists
)

// childMaxLife bounds every child: a bench that died must not leave jobs
// running forever (switchman's own Pdeathsig covers only switchman's death).
const childMaxLife = 2 * time.Minute

// childMain runs the child mode named in the environment and reports
// whether this process was a child (and has finished).
func childMain() (bool, int) {
	mode := os.Getenv(envChild)
	if mode == "" {
		return false, 0
	}
	var err error
	switch mode {
	case "wait":
		err = waitChild()
	case childHerd:
		err = herdChild(true)
	case childBurst:
		err = herdChild(false)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench child: %v\n", err)
		return true, 1
	}
	return true, 0
}

// waitChild installs a SIGTERM handler, then says it is ready (writing
// switchman's lock env into the ready file, which proves the run was
// locked), then waits for SIGTERM and records when it came.
func waitChild() error {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	ready := fmt.Sprintf("lock=%s token=%s\n", os.Getenv("SWITCHMAN_LOCK"), os.Getenv("SWITCHMAN_FENCING_TOKEN"))
	if err := writeFileAtomic(os.Getenv(envReady), []byte(ready)); err != nil {
		return err
	}
	select {
	case <-term:
		at := time.Now().UnixNano()
		return writeFileAtomic(os.Getenv(envTerm), []byte(strconv.FormatInt(at, 10)))
	case <-time.After(childMaxLife):
		return errors.New("no SIGTERM within the child's maximum life")
	}
}

// Child modes of a herd's processes.
const (
	childHerd  = "herd"  // hold the lock until released: the others meet it busy
	childBurst = "burst" // exit at once: each process of a burst has a lock of its own
)

// herdChild records that it ran; with hold, it then holds the lock (by
// staying alive) until the bench releases it, so that every other process
// of the herd meets a busy lock.
func herdChild(hold bool) error {
	f, err := os.OpenFile(os.Getenv(envRan), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	// One write of a short line with O_APPEND is atomic, so concurrent
	// children (if the lock ever failed) would each leave a whole line.
	_, err = fmt.Fprintf(f, "%d %s\n", os.Getpid(), os.Getenv("SWITCHMAN_FENCING_TOKEN"))
	f.Close()
	if err != nil || !hold {
		return err
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	deadline := time.Now().Add(childMaxLife)
	release := os.Getenv(envRelease)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(release); err == nil {
			return nil
		}
		select {
		case <-term:
			return nil
		case <-time.After(2 * time.Millisecond): // polling a file: cheap, and only one herd child runs
		}
	}
	return errors.New("not released within the child's maximum life")
}

// writeFileAtomic writes b to path through a rename, so that a reader
// polling for path never sees it half-written.
func writeFileAtomic(path string, b []byte) error {
	if path == "" {
		return errors.New("no file named in the environment")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
