// Command faults is switchman's fault-injection harness. It runs
// simulated hosts against a real ZooKeeper ensemble (3 servers, and single
// server runs), each host behind its own TCP fault proxy and launching
// switchman around a recording child every tick as cron would, injects one
// fault per scenario, and checks the recorded history: no two children of a
// lock overlapped, fencing tokens grew, nobody ran outside its group after a
// move, no process and no lock, queue or semaphore node was left behind, and
// nothing was stopped when nothing should have been.
//
// Usage:
//
//	go run ./internal/faults [-short] [-out docs/RELIABILITY.md] [-run REGEXP]
//
// It prints the markdown report and writes it to -out when given. The exit
// status is 1 when any scenario had a violation or could not run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/acme/switchman/internal/mdsection"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func main() {
	short := flag.Bool("short", false, "run only the short set of faults (as the Go test does)")
	out := flag.String("out", "", "also write the report to this file")
	run := flag.String("run", "", "run only scenarios whose name matches this regexp")
	flag.Parse()
	os.Exit(mainErr(*short, *out, *run))
}

func mainErr(short bool, out, run string) int {
	re, err := regexp.Compile(run)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: -run: %v\n", err)
		return 2
	}
	sel := selectScenarios(short, re)
	e, err := newEnv(nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	defer e.close()
	start := time.Now()
	results := e.runAll(sel, func(r result) { fmt.Fprintln(os.Stderr, progressLine(r)) })
	cmd := "go run ./internal/faults " + strings.Join(os.Args[1:], " ")
	rep := report(results, cmd, start, time.Since(start))
	fmt.Print(rep)
	if out != "" {
		// make soak's section of the same file stays, after the table.
		old, _ := os.ReadFile(out)
		if soak := mdsection.Soak.Extract(string(old)); soak != "" {
			rep += "\n" + soak
		}
		if err := os.WriteFile(out, []byte(rep), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "faults: %v\n", err)
			return 1
		}
	}
	for _, r := range results {
		if len(r.violations) > 0 {
			return 1
		}
	}
	return 0
}

func selectScenarios(short bool, re *regexp.Regexp) []scenario {
	var sel []scenario
	for _, sc := range scenarios() {
		if (!short || sc.short) && re.MatchString(sc.name) {
			sel = append(sel, sc)
		}
	}
	return sel
}

// env holds what all scenarios share: the built binaries, a scratch
// directory and the clusters (started on first use unless given).
type env struct {
	bin, dir string
	clusters map[int]*cluster
	owned    []*zktest.Ensemble
}

// newEnv builds switchman and histchild and prepares the scratch directory;
// ensembles maps sizes to already started ensembles (the Go test starts
// them with zktest.StartEnsemble so that CI fails when ZooKeeper cannot start).
func newEnv(ensembles map[int]*zktest.Ensemble) (*env, error) {
	dir, err := os.MkdirTemp("", "switchman-faults-")
	if err != nil {
		return nil, err
	}
	// switchman's heartbeat stamps go here, not to the user's cache.
	if err := testenv.Isolate(dir); err != nil {
		return nil, err
	}
	e := &env{bin: filepath.Join(dir, "bin"), dir: dir, clusters: map[int]*cluster{}}
	if err := e.build(); err != nil {
		e.close()
		return nil, err
	}
	for n, ens := range ensembles {
		if e.clusters[n], err = newCluster(ens); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

// build compiles the two binaries from the module this package is in.
func (e *env) build() error {
	for pkg, name := range map[string]string{
		"github.com/acme/switchman/cmd/switchman":                  "switchman",
		"github.com/acme/switchman/internal/history/cmd/histchild": "histchild",
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(e.bin, name), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
	}
	return nil
}

// zkOptions are the servers' settings of every scenario: local sessions,
// as the README's production zoo.cfg has them, so that the faults hit the
// sessions a fleet has: a run's session is local until it takes its lock
// or a lease, and one whose server dies before then expires instead of
// moving to another server.
var zkOptions = zktest.Options{LocalSessions: true}

func (e *env) cluster(n int) (*cluster, error) {
	if c := e.clusters[n]; c != nil {
		return c, nil
	}
	ens, err := zktest.StartEnsembleServers(n, zkOptions)
	if err != nil {
		return nil, fmt.Errorf("start %d-server zookeeper: %w", n, err)
	}
	e.owned = append(e.owned, ens)
	c, err := newCluster(ens)
	if err != nil {
		return nil, err
	}
	e.clusters[n] = c
	return c, nil
}

func (e *env) close() {
	for _, c := range e.clusters {
		c.close()
	}
	for _, ens := range e.owned {
		_ = ens.Close()
	}
	os.RemoveAll(e.dir)
}

func (e *env) runAll(sel []scenario, progress func(result)) []result {
	var out []result
	for i, sc := range sel {
		r := e.runScenario(i, sc)
		progress(r)
		out = append(out, r)
	}
	return out
}

// Phases of a scenario: warm up until the lock changes hands routinely,
// inject the fault, then let the fleet settle before stopping the drivers.
const (
	warmup = 1500 * time.Millisecond
	settle = 2 * time.Second
)

// runScenario plays one scenario on a fresh prefix with three hosts.
func (e *env) runScenario(i int, sc scenario) result {
	start := time.Now()
	res := result{name: sc.name, servers: sc.servers, exits: map[string]int{}}
	fail := func(err error) result {
		res.violations = append(res.violations, "scenario could not run: "+err.Error())
		res.elapsed = time.Since(start)
		return res
	}
	cl, err := e.cluster(sc.servers)
	if err != nil {
		return fail(err)
	}
	if err := cl.healthy(60 * time.Second); err != nil {
		return fail(err)
	}
	dir := filepath.Join(e.dir, fmt.Sprintf("s%02d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	h, err := newHarness(e.bin, dir, cl, fmt.Sprintf("/faults%02d", i), 3)
	if err != nil {
		return fail(err)
	}
	defer h.close()
	if sc.setup != nil {
		sc.setup(h)
	}
	ctx, cancel := contextWithCancel()
	h.drive(ctx)
	time.Sleep(warmup)
	o := &outcome{}
	ferr := sc.fault(h, o)
	for _, hs := range h.hosts {
		hs.setArgs(shortChild...) // let long jobs end so the drivers stop promptly
	}
	time.Sleep(settle)
	hung := h.stop(cancel)
	if ferr != nil {
		o.violatef("fault: %v", ferr)
	}
	if err := cl.healthy(60 * time.Second); err != nil {
		o.violatef("ensemble did not recover: %v", err)
	}
	r := check(h, o, hung)
	r.name, r.servers, r.elapsed = sc.name, sc.servers, time.Since(start)
	return r
}
