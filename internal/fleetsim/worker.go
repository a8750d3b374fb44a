package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"
)

// workerArg, as the first argument, makes this program fire one tick and
// write its outcomes as JSON to a file (see tickWorker): not to stdout,
// which the runs' children share.
const workerArg = "__fleetsim_tick__"

// profileEnv, when set in fleetsim's environment, names a file each tick
// worker writes its CPU profile to (for go tool pprof; each tick
// overwrites the last's).
const profileEnv = "FLEETSIM_CPUPROFILE"

// startProfile starts a CPU profile into path; the returned function
// ends it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// tickReport is what a worker reports.
type tickReport struct {
	Outcomes []outcome
	Wall     time.Duration
	// CPU is the worker's user and system time: every run's client work
	// (the wrapper's code, the ZooKeeper client, the shims' forks), the
	// process's start and its report included.
	CPU time.Duration `json:"-"`
}

// workerMain runs the worker when args ask for it; it reports whether
// they did and the exit status.
func workerMain(args []string) (bool, int) {
	if len(args) < 1 || args[0] != workerArg {
		return false, 0
	}
	if err := tickWorker(args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "fleetsim worker: %v\n", err)
		return true, 1
	}
	return true, 0
}

// tickWorker fires one tick: HOSTS JOBS FRACTION CONFIG CHILD REPORT
// SPLAY TRACE (see tickOptions).
//
// Each tick runs in a fresh process, with the collector off, as each
// cron run of the binary does (job.PauseGC), for the same reason: the
// ZooKeeper client allocates two 1.5 MB buffers per connection, which
// a new process gets from the kernel untouched. In a long-lived process
// the heap would hand the next tick's clients memory the last one used,
// which the runtime must clear first: gigabytes of page faults a real
// fleet, one process per run, never pays, on the CPUs the servers need.
func tickWorker(args []string) error {
	if len(args) != 8 {
		return fmt.Errorf("want HOSTS JOBS FRACTION CONFIG CHILD REPORT SPLAY TRACE, got %q", args)
	}
	h, herr := strconv.Atoi(args[0])
	j, jerr := strconv.Atoi(args[1])
	f, ferr := strconv.ParseFloat(args[2], 64)
	splay, serr := time.ParseDuration(args[6])
	trace, terr := strconv.ParseBool(args[7])
	if herr != nil || jerr != nil || ferr != nil || serr != nil || terr != nil {
		return fmt.Errorf("bad tick %q", args)
	}
	debug.SetGCPercent(-1)
	if p := os.Getenv(profileEnv); p != "" {
		stop, err := startProfile(p)
		if err != nil {
			return err
		}
		defer stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	outs, wall := fire(ctx, spec{Hosts: h, Jobs: j, Fraction: f}, args[3], args[4], tickOptions{Splay: splay, Trace: trace})
	b, err := json.Marshal(tickReport{Outcomes: outs, Wall: wall})
	if err != nil {
		return err
	}
	return os.WriteFile(args[5], b, 0o600)
}

// fireWorker fires fleet s's tick in a worker process (see tickWorker).
// The report goes through a file in dir.
func fireWorker(ctx context.Context, s spec, cfgPath, child, dir string, to tickOptions) (tickReport, error) {
	self, err := os.Executable()
	if err != nil {
		return tickReport{}, err
	}
	out := filepath.Join(dir, "tick.json")
	cmd := exec.CommandContext(ctx, self, workerArg, strconv.Itoa(s.Hosts), strconv.Itoa(s.Jobs),
		strconv.FormatFloat(s.Fraction, 'g', -1, 64), cfgPath, child, out, to.Splay.String(), strconv.FormatBool(to.Trace))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return tickReport{}, fmt.Errorf("tick worker: %w: %s", err, stderr.Bytes())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return tickReport{}, err
	}
	var r tickReport
	if err := json.Unmarshal(b, &r); err != nil {
		return tickReport{}, fmt.Errorf("tick worker's report: %w", err)
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}
