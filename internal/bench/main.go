// Command bench measures what switchman adds to a cron job and how fast it
// reacts, against the floors (bare exec, flock(1), ZooKeeper's session
// timeout), on a private local ZooKeeper, and publishes the table.
//
//	go run ./internal/bench -bin bin/switchman -out docs/BENCHMARKS.md
//
// Every number comes from real runs of the switchman binary given with
// -bin; the job it runs is this program re-executed in a child mode (see
// child.go). `make bench` builds the binary and runs this.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// options are the bench's command line.
type options struct {
	Bin         string
	Out         string
	Rounds      int
	Trials      int
	MemoryRuns  int
	FenceTrials int
	Herd        int
	HerdRounds  int
	Burst       int
	Scripts     int
	Jobs        int
	LeaseRounds int
	Strict      bool
	Only        string
	Baseline    string
}

func main() {
	if isChild, code := childMain(); isChild {
		os.Exit(code)
	}
	o := parseFlags()
	err := o.validate()
	if err == nil {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.Bin, "bin", "bin/switchman", "switchman binary to measure")
	flag.StringVar(&o.Out, "out", "", "also write the markdown report to this file")
	flag.IntVar(&o.Rounds, "rounds", 200, "overhead: interleaved rounds (every variant runs once per round)")
	flag.IntVar(&o.Trials, "trials", 100, "reaction: trials per kind (lock deletion, group move)")
	flag.IntVar(&o.MemoryRuns, "memory-runs", 8, "memory: runs sampled")
	flag.IntVar(&o.FenceTrials, "fence-trials", 5, "self-fencing: ZooKeeper freezes")
	flag.IntVar(&o.Herd, "herd", 200, "herd: switchman processes started at once")
	flag.IntVar(&o.HerdRounds, "herd-rounds", 3, "herd: rounds")
	flag.IntVar(&o.Burst, "burst", 100, "burst: different jobs of one host started at once (rounds: -herd-rounds)")
	flag.IntVar(&o.Scripts, "scripts", 10000, "crontab generation: scripts scanned")
	flag.IntVar(&o.Jobs, "jobs", 1000, "status: jobs with a run record (a tenth of them running)")
	flag.IntVar(&o.LeaseRounds, "lease-rounds", 2, "lease benchmark: rounds")
	flag.BoolVar(&o.Strict, "strict", false, "exit non-zero when a speed or size target is missed too, not only a correctness check")
	flag.StringVar(&o.Only, "only", "", "run only these phases, comma-separated: "+strings.Join(phaseNames, ", "))
	flag.StringVar(&o.Baseline, "baseline", "", "overhead: also time this other switchman build, in the same rotation (before/after a change)")
	flag.Parse()
	return o
}

// validate refuses counts that would make a measurement meaningless.
func (o options) validate() error {
	for _, c := range []struct {
		name     string
		val, min int
	}{
		{"rounds", o.Rounds, 1}, {"trials", o.Trials, 1}, {"memory-runs", o.MemoryRuns, 1},
		{"fence-trials", o.FenceTrials, 1}, {"herd", o.Herd, 2}, {"herd-rounds", o.HerdRounds, 1},
		{"burst", o.Burst, 1},
		{"scripts", o.Scripts, 1}, {"jobs", o.Jobs, 1}, {"lease-rounds", o.LeaseRounds, 1},
	} {
		if c.val < c.min {
			return fmt.Errorf("-%s %d: must be at least %d", c.name, c.val, c.min)
		}
	}
	return nil
}

func run(o options) error {
	bin, err := filepath.Abs(o.Bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("switchman binary: %w (run `make build` first)", err)
	}
	if o.Baseline != "" {
		if o.Baseline, err = filepath.Abs(o.Baseline); err != nil {
			return err
		}
	}
	only, err := selectPhases(o.Only)
	if err != nil {
		return err
	}
	f, err := newFixture(bin)
	if err != nil {
		return err
	}
	defer f.close()
	rep := &report{Machine: describeMachine(bin, f.srv.Addr), Command: reproduce(o)}
	runPhases(f, o, rep, only)
	rep.Machine.LoadAfter = loadavg()
	rep.Notes = append(rep.Notes, loadNote(rep.Machine)...)
	if err := publish(rep, o.Out); err != nil {
		return err
	}
	if rep.failed(o.Strict) {
		return fmt.Errorf("a measurement failed or a correctness check missed (see the table)")
	}
	return nil
}

// runPhases runs the selected phases in the order of phaseNames, adding
// their sections to rep.
func runPhases(f *fixture, o options, rep *report, only map[string]bool) {
	phases := map[string]func() []section{
		"overhead":     func() []section { return overheadSections(f, o, rep) },
		"writes":       func() []section { return []section{writesSection(f)} },
		"breakdown":    func() []section { return []section{breakdownSection(f, rep)} },
		"startup":      func() []section { return []section{startupSection(f)} },
		"memory":       func() []section { return []section{memorySection(f, o, rep)} },
		"reaction":     func() []section { return []section{reactionSection(f, o)} },
		"self-fencing": func() []section { return []section{fenceSection(f, o)} },
		"herd":         func() []section { return []section{herdSection(f, o, rep)} },
		"burst":        func() []section { return []section{burstSection(f, o, rep)} },
		"other":        func() []section { return []section{otherSection(f, o)} },
	}
	for _, name := range phaseNames {
		if !only[name] {
			continue
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s...", name)
		rep.Sections = append(rep.Sections, phases[name]()...)
		fmt.Fprintf(os.Stderr, " %s\n", time.Since(start).Round(100*time.Millisecond))
	}
}

// publish prints the report and writes it to out when set.
func publish(rep *report, out string) error {
	var buf bytes.Buffer
	if err := rep.write(&buf); err != nil {
		return err
	}
	if _, err := os.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// reproduce is the command line that produced the report.
func reproduce(o options) string {
	args := []string{"go run ./internal/bench"}
	flag.Visit(func(fl *flag.Flag) { args = append(args, fmt.Sprintf("-%s %s", fl.Name, fl.Value)) })
	return strings.Join(args, " ")
}

// phaseNames are the phases in the order they run, as -only names them.
var phaseNames = []string{"overhead", "startup", "writes", "breakdown", "memory", "reaction", "self-fencing", "herd", "burst", "other"}

// selectPhases parses -only into the set of phases to run.
func selectPhases(list string) (map[string]bool, error) {
	sel := map[string]bool{}
	for _, n := range phaseNames {
		sel[n] = list == ""
	}
	if list == "" {
		return sel, nil
	}
	for _, w := range strings.Split(list, ",") {
		w = strings.TrimSpace(w)
		if _, ok := sel[w]; !ok {
			return nil, fmt.Errorf("-only: unknown phase %q (known: %s)", w, strings.Join(phaseNames, ", "))
		}
		sel[w] = true
	}
	return sel, nil
}

// loadNote warns when other work competed with the measurement. Only the
// load before the run says so: the load after includes the bench's own
// herd and lease phases.
func loadNote(m machine) []string {
	before, busy := loaded(m.LoadBefore)
	if !busy {
		return nil
	}
	return []string{fmt.Sprintf("The machine was busy with other work when this run started (1-minute load average %.1f "+
		"on %d CPUs): the tails (p90 and above) include waiting for a CPU.", before, runtime.NumCPU())}
}

// failedRow is what a measurement that could not complete shows.
// measured is a section of the rows rows returns, or of one failed row
// named name when it fails.
func measured(title, name string, rows func() ([]row, error)) section {
	r, err := rows()
	if err != nil {
		return section{Title: title, Rows: []row{failedRow(name, err)}}
	}
	return section{Title: title, Rows: r}
}

func failedRow(name string, err error) row {
	return row{Name: name, Note: "failed: " + err.Error(), Met: met(false), Hard: true}
}
