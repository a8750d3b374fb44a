// Command soak is switchman's randomized soak: an hour (or any duration) of
// chaos on a real 3-server ZooKeeper ensemble with nothing lost. Six
// simulated hosts, each behind its own TCP fault proxy, launch real
// switchman processes every second around recording children (plain locks,
// nested groups, leases, --wait, --min-interval, --timeout,
// --halt-on-failure, scheduled slots with standby and catch-up), and one
// more host runs the original Perl switchman on the plain lock. A seeded
// schedule mixes partitions and stalls of single hosts, SIGSTOP and SIGKILL
// of servers, leader kills, full ensemble restarts, SIGKILL and SIGSTOP of
// wrappers, operator actions (group moves, deletes and re-adds, kills,
// pauses and resumes, the catch-up sweep) and a burst of 200 runs on one
// lock. The same seed and duration give the same schedule (-plan prints it).
//
// After the run it quiesces (every wrapper exits, one calm run per job and
// host) and checks the whole history: no two holders of one lock and no
// more leases than TOTAL (except while a wrapper was frozen past the
// session: listed with evidence), no job process outliving its wrapper's
// permission beyond the kill latency, every run record final, no znode
// left under locks/, queues/ or semaphores/, no slot run twice, no
// notification sent twice. Every violation is printed with the seed and
// the fault before it.
//
// Usage:
//
//	go run ./internal/soak [-seed N] [-duration D] [-out docs/RELIABILITY.md] [-original build.sh] [-plan]
//
// The last line of its output is "N violations (seed S)". The exit status
// is 1 when there was a violation or the soak could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/history"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the fault schedule and the job mix")
	d := flag.Duration("duration", 3*time.Minute, "how long the chaos lasts")
	out := flag.String("out", "", "splice the report into this markdown file (between its soak markers)")
	orig := flag.String("original", filepath.Join("..", "shared", "perl-switchman", "build.sh"),
		`build script of the original Perl switchman ("" runs without it)`)
	plan := flag.Bool("plan", false, "print the fault schedule of -seed and -duration and exit")
	flag.DurationVar(&tick, "tick", tick, "how often every host launches its jobs (cron's minute, shrunk)")
	flag.Parse()
	if tick < 100*time.Millisecond || tick > 10*time.Second {
		fmt.Fprintf(os.Stderr, "soak: -tick %s: want 100ms to 10s\n", tick)
		os.Exit(2)
	}
	if *plan {
		for _, f := range Plan(*seed, *d, sessionTimeout) {
			fmt.Println(f)
		}
		return
	}
	os.Exit(run(*seed, *d, *out, *orig))
}

func run(seed uint64, d time.Duration, out, orig string) int {
	if d < 30*time.Second {
		fmt.Fprintf(os.Stderr, "soak: -duration %s: want at least 30s\n", d)
		return 2
	}
	if orig != "" {
		abs, err := filepath.Abs(orig)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "soak: -original %s: %v (pass -original '' to run without the original)\n", orig, err)
			return 2
		}
		orig = abs
	}
	begin := time.Now()
	f, err := newFleet(seed, orig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		fmt.Printf("soak could not run (seed %d)\n", seed)
		return 1
	}
	defer f.close()
	go f.closeOnSignal()
	f.plan = Plan(seed, d, sessionTimeout)
	fmt.Fprintf(os.Stderr, "soak seed %d: %d faults planned over %s\n", seed, len(f.plan), d)
	hung := f.chaos(d)
	res := f.check(hung)
	cmd := "go run ./internal/soak " + strings.Join(os.Args[1:], " ")
	rep := f.report(res, cmd, d, time.Since(begin))
	fmt.Print(rep)
	if out != "" {
		if err := writeReport(out, rep); err != nil {
			fmt.Fprintf(os.Stderr, "soak: %v\n", err)
			return 1
		}
	}
	for _, v := range res.violations {
		fmt.Println("VIOLATION " + f.line(v))
	}
	fmt.Printf("%d violations (seed %d)\n", len(res.violations), seed)
	if len(res.violations) > 0 {
		return 1
	}
	return 0
}

// chaos drives the fleet and plays the schedule for d, then quiesces: the
// last fault is undone, every wrapper exits, and one calm run of every job
// on every host finishes what SIGKILLed wrappers left. It returns the
// wrappers the harness had to kill.
func (f *fleet) chaos(d time.Duration) []*launch {
	f.start = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	f.drive(ctx)
	injCtx, injCancel := context.WithTimeout(context.Background(), d)
	defer injCancel()
	var inj sync.WaitGroup
	inj.Go(func() { f.inject(injCtx) })
	<-injCtx.Done()
	inj.Wait() // the fault in progress is undone first
	hung := f.stop(cancel)
	if err := f.healthy(90 * time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
	}
	f.sweep()
	return append(hung, f.stop(func() {})...)
}

// sweep resumes the halted job, lets the --min-interval pass, and runs
// every job once on every host with a calm child, one host at a time per
// job, so that each record is finished by a run of its own.
func (f *fleet) sweep() {
	_, _ = f.operator("resume", "halty")
	time.Sleep(6 * time.Second)
	f.calm = true
	for _, h := range f.hosts {
		h.clock.Store(0)
	}
	var wg sync.WaitGroup
	for _, h := range f.goHosts() {
		wg.Go(func() {
			for _, sh := range shapes {
				ticks := []int{0}
				if sh.name == "wait" {
					ticks = []int{0, 7, 14, 21, 28, 35} // every wait-N name
				}
				for _, t := range ticks {
					l := f.startRun(h, sh, t)
					<-l.done
				}
			}
			l := f.startRun(h, shape{name: "burst", min: 10 * time.Millisecond, max: 10 * time.Millisecond,
				flags: func(*host, int) []string { return []string{"-g", "all", "--lockname", "burst"} }}, 0)
			<-l.done
		})
	}
	wg.Wait()
	for _, l := range f.snapshot() {
		if !isDone(l) {
			_ = l.cmd.Process.Signal(syscall.SIGCONT)
		}
	}
}

// closeOnSignal ends an interrupted soak: it kills the wrappers and
// children still running and removes the scratch directories.
func (f *fleet) closeOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	fmt.Fprintf(os.Stderr, "soak: %s: stopping (seed %d)\n", sig, f.seed)
	for _, l := range f.snapshot() {
		if !isDone(l) {
			_ = l.cmd.Process.Kill()
		}
		if p := history.StartedProc(l.log); p.PID != 0 {
			_ = p.Kill()
		}
	}
	for _, h := range f.hosts {
		h.proxy.Close()
	}
	// Not f.close: a server restart in progress holds the server for up to
	// its start timeout. The JVMs die with this process (zktest starts
	// them with a parent-death signal); their directories go here.
	os.RemoveAll(f.dir)
	if len(f.ens.Servers) > 0 {
		os.RemoveAll(filepath.Dir(f.ens.Servers[0].Dir))
	}
	os.Exit(1)
}
