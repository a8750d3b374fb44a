package main

import (
	"context"
	"fmt"
	"maps"
	"time"
)

// Kinds of a burst: switchman, the floor program and the job alone.
const burstBare = "bare" // the job itself, no wrapper: what every process of the burst pays anyway

// burstKinds returns the kinds of a burst: n different jobs of one host
// released at one instant, each with a lock of its own, so that every
// process runs its job. switchman's jobs keep their names from round to
// round, as a crontab's do; the floor program's nodes are new each round
// (a node whose session's close was lost would still be there).
func (f *fixture) burstKinds() (kinds []herdKind, errs map[string]error) {
	errs = map[string]error{}
	kinds = []herdKind{
		{herdSwitchman, func(_, i int) []string {
			return []string{f.bin, "-c", f.cfg, "--lockname", fmt.Sprintf("burst-%d", i), "--", f.self}
		}},
		{burstBare, func(int, int) []string { return []string{f.self} }},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	zkFloor, err := f.zkFloor(ctx)
	if err != nil {
		errs[herdFloor] = err
		return kinds, errs
	}
	kinds = append(kinds, herdKind{herdFloor, func(round, i int) []string {
		return []string{zkFloor, f.srv.Addr, fmt.Sprintf("%s/burst-floor-%d-%d", prefix, round, i), f.self}
	}})
	return kinds, errs
}

// burstSection measures one host's own burst: n jobs whose crontab lines
// fire in the same second, each under its own lock. Every process must
// run its job; the time until all exited is compared, above the bare
// jobs', with the floor program's.
func burstSection(f *fixture, o options, rep *report) section {
	s := section{Title: fmt.Sprintf("5b. One host's own burst: %d different jobs released at one instant, each under its own lock", o.Burst)}
	kinds, errs := f.burstKinds()
	// The first run of a lock name also creates its run record's nodes:
	// a warm-up burst, not counted, makes the counted ones everyday runs.
	if _, err := f.herdOnce(kinds[0], childBurst, o.Burst, o.HerdRounds); err != nil {
		errs[herdSwitchman] = fmt.Errorf("warm-up: %w", err)
	}
	rounds, runErrs := measureHerd(f, kinds, childBurst, o.Burst, o.HerdRounds)
	maps.Copy(errs, runErrs)
	s.Rows = append(s.Rows, burstRows(o.Burst, rounds, errs)...)
	rep.Notes = append(rep.Notes, fmt.Sprintf("Burst: each round releases %d shells at one FIFO, as the herd does, but each "+
		"execs switchman with a lock name of its own (burst-0 … burst-%d, the same every round, after one uncounted "+
		"warm-up burst), so that every process runs its job, which records that it ran and exits. The same burst, "+
		"interleaved round by round, runs the jobs bare (no wrapper) and under the minimal ZooKeeper-locked Go wrapper "+
		"of section 1, each with a node of its own.", o.Burst, o.Burst-1))
	return s
}

// burstRows are the burst's checks and times: every job run, none failed,
// and switchman's time above the bare burst's against the floor's.
func burstRows(n int, rounds map[string][]herdRound, errs map[string]error) []row {
	var rows []row
	names := map[string]string{
		herdSwitchman: "switchman",
		herdFloor:     "minimal ZooKeeper-locked Go wrapper (the floor program)",
		burstBare:     "bare jobs (no wrapper)",
	}
	all := map[string][]float64{}
	for _, k := range []string{herdSwitchman, herdFloor, burstBare} {
		if err := errs[k]; err != nil {
			rows = append(rows, failedRow("burst of "+names[k], err))
			continue
		}
		c := herdColumnsOf(rounds[k])
		every := true
		for _, r := range c.ran {
			every = every && int(r) == n
		}
		all[k] = c.all
		rows = append(rows,
			row{Name: names[k] + ": jobs run per burst", S: summarize(c.ran),
				Target: fmt.Sprintf("all %d, every round", n), Met: met(every), Hard: true},
			row{Name: names[k] + ": until every process exited", Unit: "ms", S: summarize(c.all)},
			row{Name: names[k] + ": CPU (user+sys) per process", Unit: "ms", S: summarize(c.cpu)},
		)
	}
	sw, fl, bare := all[herdSwitchman], all[herdFloor], all[burstBare]
	if sw != nil && fl != nil && bare != nil {
		b := summarize(bare).Median
		ratio := (summarize(sw).Median - b) / (summarize(fl).Median - b)
		rows = append(rows, row{Name: "(switchman burst − bare burst) ÷ (floor burst − bare burst), until every process exited, of the medians",
			Unit: "×", S: summarize([]float64{ratio}), Target: "≤ 1.5", Met: met(ratio <= 1.5)})
	}
	return rows
}
