// Command fleetsim fires a simulated fleet's cron minute at a real
// ZooKeeper ensemble and publishes what it cost: H hosts × J jobs start
// at one instant, each run being the wrapper's own code (job.Run, in this
// process, with its own session and --hostname), against a 3-node
// ensemble it starts, with global and with local sessions, optionally
// plus observers.
//
//	go run ./internal/fleetsim -bin bin/switchman -out docs/SCALE.md
//
// Before the fleet, it checks at a small N that a run in this process
// costs the ensemble what the binary's run costs: the same requests and
// the same quorum transactions, for a winning run, a busy lock and a host
// not in the group. `make fleet` builds the binary and runs this.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/supervise"
)

// options are fleetsim's command line.
type options struct {
	Bin       string
	Out       string
	Sizes     string
	Fraction  float64
	Observers int
	Child     string
	Modes     string
	Repeat    int
	// Splay, when positive, fires the largest fleet once more on the
	// local-sessions setup with this --splay on every line.
	Splay time.Duration
	// Burst, when not empty, is a fleet (HOSTSxJOBS) fired at an ensemble
	// of its own whose servers each take at most BurstCnxns connections,
	// with every run's connection attempts traced.
	Burst      string
	BurstCnxns int
	// Settle is how long a tick's count goes on after its last run: until
	// what the tick started has reached the servers, every close, and the
	// expiry of every session whose client gave up on a slow handshake
	// and went on to another server (the server had created it), which
	// comes a session timeout after its last contact. They are the tick's
	// cost, and would otherwise land in the next tick's count.
	Settle time.Duration
}

func main() {
	// The job's shim is this executable when switchman-shim is not found
	// (see job.HelperPath).
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	if isWorker, code := workerMain(os.Args[1:]); isWorker {
		os.Exit(code)
	}
	o := parseFlags()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintf(os.Stderr, "fleetsim: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.Bin, "bin", "bin/switchman", "switchman binary the in-process runs are checked against (\"\": no check)")
	flag.StringVar(&o.Out, "out", "", "also write the markdown report to this file")
	flag.StringVar(&o.Sizes, "sizes", "20x10,100x10,200x10", "fleets to fire, HOSTSxJOBS, comma-separated (\"\": none, e.g. for -burst alone)")
	flag.Float64Var(&o.Fraction, "fraction", 0.1, "share of the hosts in each job's group")
	flag.IntVar(&o.Observers, "observers", 0, "also fire every fleet at the ensemble plus this many observers (local sessions)")
	flag.StringVar(&o.Child, "child", "/bin/true", "the job every run starts")
	flag.StringVar(&o.Modes, "sessions", "global,local", "session kinds to fire with: global, local, or both")
	flag.IntVar(&o.Repeat, "repeat", 1, "measured ticks per fleet (after one warm-up tick)")
	flag.DurationVar(&o.Splay, "splay", 0, "also fire the largest fleet at the local-sessions ensemble with this --splay on every line (0: not)")
	flag.StringVar(&o.Burst, "burst", "", "also fire this fleet, HOSTSxJOBS, at an ensemble refusing connections past -burst-cnxns (\"\": not)")
	flag.IntVar(&o.BurstCnxns, "burst-cnxns", 3, "the burst ensemble's maxClientCnxns (per server; every run connects from 127.0.0.1)")
	o.Settle = config.DefaultSessionTimeout + 2*time.Second
	flag.Parse()
	return o
}

// run starts each ensemble in turn, checks the code path, fires every
// fleet at it and publishes the report.
func run(ctx context.Context, o options) error {
	var fleets []spec
	var err error
	if o.Sizes != "" { // "": only the burst
		if fleets, err = parseSizes(o.Sizes, o.Fraction); err != nil {
			return err
		}
	}
	if err := checkBurst(o); err != nil {
		return err
	}
	if o.Repeat < 1 {
		return fmt.Errorf("-repeat %d: want at least 1", o.Repeat)
	}
	setups, err := setupsOf(o.Modes, o.Observers)
	if err != nil {
		return err
	}
	if o.Bin != "" {
		if o.Bin, err = filepath.Abs(o.Bin); err != nil {
			return err
		}
		if _, err := os.Stat(o.Bin); err != nil {
			return fmt.Errorf("switchman binary: %w (run `make build` first)", err)
		}
	}
	dir, err := os.MkdirTemp("", "fleetsim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := isolate(dir, o.Bin); err != nil {
		return err
	}
	rep := &report{Machine: describeMachine(), Command: reproduce(o), Fraction: o.Fraction, Child: o.Child}
	for _, s := range setups {
		if len(fleets) == 0 {
			break
		}
		res, err := simulate(ctx, s, fleets, o, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name(), err)
		}
		rep.Setups = append(rep.Setups, res)
		fmt.Fprint(os.Stderr, res.progress())
	}
	if o.Burst != "" {
		if rep.Burst, err = fireBurst(ctx, o, dir); err != nil {
			return fmt.Errorf("burst: %w", err)
		}
		fmt.Fprint(os.Stderr, rep.Burst.progress())
	}
	rep.Machine.LoadAfter = loadavg()
	return publish(rep, o.Out)
}

// isolate keeps the runs' state (heartbeat stamps, spools) in dir, not
// the user's cache, and has both the binary and the in-process runs start
// their child through the switchman-shim beside the binary, as an
// installed switchman does.
func isolate(dir, bin string) error {
	if err := os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache")); err != nil {
		return err
	}
	helpers := filepath.Join(dir, "no-helpers")
	if bin != "" {
		helpers = filepath.Dir(bin)
	}
	return os.Setenv("SWITCHMAN_HELPER_DIR", helpers)
}

// reproduce is the command line that makes the same report.
func reproduce(o options) string {
	args := []string{"go run ./internal/fleetsim", "-sizes " + o.Sizes, fmt.Sprintf("-fraction %g", o.Fraction),
		"-sessions " + o.Modes, fmt.Sprintf("-observers %d", o.Observers), fmt.Sprintf("-repeat %d", o.Repeat), "-child " + o.Child}
	if o.Splay > 0 {
		args = append(args, "-splay "+o.Splay.String())
	}
	if o.Burst != "" {
		args = append(args, "-burst "+o.Burst, fmt.Sprintf("-burst-cnxns %d", o.BurstCnxns))
	}
	if o.Bin != "" {
		args = append(args, "-bin bin/switchman")
	}
	if o.Out != "" {
		args = append(args, "-out "+o.Out)
	}
	return strings.Join(args, " ")
}

// publish prints the report and writes it to out.
func publish(r *report, out string) error {
	var b strings.Builder
	if err := r.write(&b); err != nil {
		return err
	}
	fmt.Print(b.String())
	if out == "" {
		return nil
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
