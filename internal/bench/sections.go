package main

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"time"

	"github.com/acme/switchman/cgroup"
)

// Targets, from the benchmark issue.
const (
	targetOverheadMs = 10.0 // median above bare exec, on loopback
	targetRSSMB      = 12.0
	targetFloorRatio = 1.5    // wall above bare, and CPU, of a locked run ÷ the ZooKeeper-locked floor's
	targetHerdMs     = 2000.0 // the busy ones of a herd all exited after the release
	targetHerdRatio  = 1.25   // the herd against the same herd of the floor program
	targetReactionMs = 50.0   // p99
)

// overheadSections returns the wall-time section and the CPU-time section.
func overheadSections(f *fixture, o options, rep *report) []section {
	s := section{Title: "1. Overhead: whole-process wall time of /bin/true"}
	// Generous: a run takes milliseconds; this only stops a hung one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := measureOverhead(ctx, f, o.Rounds, o.Baseline)
	if err != nil {
		s.Rows = append(s.Rows, failedRow("overhead", err))
		return []section{s}
	}
	s.Rows = append(overheadRows(r, o), splitRows(r.Times)...)
	s.Rows = append(s.Rows, cgroupRows(r)...)
	if o.Baseline != "" {
		s.Rows = append(s.Rows,
			row{Name: "baseline `" + o.Baseline + " -- /bin/true`", Unit: "ms", S: summarize(ms(r.Times[vBase]))},
			row{Name: "switchman − baseline, per round", Unit: "ms", S: summarize(ms(minus(r.Times[vLocked], r.Times[vBase])))},
		)
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("Overhead: %d interleaved rounds after %d warm-up rounds; each round runs every variant "+
		"once (bare, flock, switchman locked, an empty Go program, a minimal Go wrapper, a minimal ZooKeeper-locked Go wrapper, "+
		"`switchman --version`, `switchman --no-lock`, `switchman --no-lock` with `cgroup: off`, and switchman-shim running `/bin/true` "+
		"as switchman starts it), "+
		"starting with a "+
		"different one each round. Times are fork+exec+wait as seen by the parent (Go os/exec). Differences and ratios are taken "+
		"within each round. The config names no hostname, so each run also finds its FQDN, as in production (resolved at most once per 10 minutes, from a cache file in between).", o.Rounds, overheadWarmup))
	rep.Notes = append(rep.Notes, "ZooKeeper requests are mntr's zk_packets_received delta (session handshake, requests, "+
		"pings and close) read just before and after each switchman run, summed and divided by runs; the bench's own idle "+
		"admin session adds at most one ping per 10 s to the total.")
	return []section{s, cpuSection(r)}
}

// overheadRows are the comparisons: switchman against bare exec
// and flock(1), and the checks that every run really took the lock.
func overheadRows(r overheadResult, o options) []row {
	t := r.Times
	wantLocked := o.Rounds
	if o.Baseline != "" {
		wantLocked *= 2
	}
	over := summarize(ms(minus(t[vLocked], t[vBare])))
	return []row{
		{Name: "`/bin/true` (bare exec)", Unit: "ms", S: summarize(ms(t[vBare]))},
		{Name: "`flock FILE /bin/true`", Unit: "ms", S: summarize(ms(t[vFlock]))},
		{Name: "`switchman -c CFG -- /bin/true` (lock taken and released)", Unit: "ms", S: summarize(ms(t[vLocked]))},
		{Name: "switchman − bare, per round", Unit: "ms", S: over,
			Target: fmt.Sprintf("median < %g ms", targetOverheadMs), Met: met(over.Median < targetOverheadMs)},
		{Name: "switchman − flock, per round", Unit: "ms", S: summarize(ms(minus(t[vLocked], t[vFlock])))},
		{Name: "switchman ÷ bare, per round", Unit: "×", S: summarize(ratios(t[vLocked], t[vBare]))},
		{Name: "switchman ÷ flock, per round", Unit: "×", S: summarize(ratios(t[vLocked], t[vFlock]))},
		{Name: "minimal Go wrapper (fork+exec+wait `/bin/true`) − bare: the floor of any Go wrapper here", Unit: "ms",
			S: summarize(ms(minus(t[vGoExec], t[vBare])))},
		{Name: "switchman − minimal Go wrapper, per round", Unit: "ms", S: summarize(ms(minus(t[vLocked], t[vGoExec])))},
		{Name: "minimal ZooKeeper-locked Go wrapper (session, one ephemeral node, fork+exec+wait, close) − bare: the floor of the design here",
			Unit: "ms", S: summarize(ms(minus(t[vZKFloor], t[vBare])))},
		{Name: "switchman − minimal ZooKeeper-locked Go wrapper, per round", Unit: "ms", S: summarize(ms(minus(t[vLocked], t[vZKFloor])))},
		floorRatio("(switchman − bare) ÷ (minimal ZooKeeper-locked Go wrapper − bare), of the medians",
			summarize(ms(minus(t[vLocked], t[vBare]))).Median, summarize(ms(minus(t[vZKFloor], t[vBare]))).Median),
		floorRatio("CPU: switchman ÷ minimal ZooKeeper-locked Go wrapper, of the medians",
			summarize(ms(r.CPU[vLocked])).Median, summarize(ms(r.CPU[vZKFloor])).Median),
		shimBound("wall above bare", med(t[vZKFloor])-med(t[vBare]), med(t[vGoExec])-med(t[vBare])),
		shimBound("CPU", med(r.CPU[vZKFloor]), med(r.CPU[vGoExec])-med(r.CPU[vBare])),
		{Name: "switchman-shim running `/bin/true` − bare: the shim's part of a run", Unit: "ms", S: summarize(ms(minus(t[vShim], t[vBare])))},
		{Name: "bound: the shim's start wholly overlapped with the rest of the run (the issue's route, at its best): " +
			"(switchman − shim running `/bin/true`) ÷ (minimal ZooKeeper-locked Go wrapper − bare), of the medians", Unit: "×",
			S: summarize([]float64{med(minus(t[vLocked], t[vShim])) / (med(t[vZKFloor]) - med(t[vBare]))})},
		{Name: "runs that created and deleted the lock node", Unit: "runs", S: summarize([]float64{float64(r.Locked)}),
			Target: fmt.Sprintf("all %d", wantLocked), Met: met(r.Locked == wantLocked), Hard: true},
		{Name: "ZooKeeper requests per run", Unit: "req", S: summarize([]float64{r.PacketsPerRun})},
	}
}

// floorRatio is a row of a÷b against the floor-ratio target.
func floorRatio(name string, a, b float64) row {
	x := a / b
	return row{Name: name, Unit: "×", S: summarize([]float64{x}),
		Target: fmt.Sprintf("≤ %g", targetFloorRatio), Met: met(x <= targetFloorRatio)}
}

// shimBound is the least ratio to the floor that a run keeping the shim
// can reach: the shim is a second process, between switchman and the job,
// that must outlive a SIGKILLed switchman, and the cheapest Go program
// that runs a job is the minimal Go wrapper (fork+exec+wait). (A child
// forked without exec is cheaper, but the Go runtime does not survive a
// fork: such a child could run raw system calls only.) So a locked run costs
// at least the floor plus that wrapper's own cost (its cost above bare's),
// before any of switchman's features: 1 + wrapper/floor, with floor taken
// as the target rows take it (wall above bare; CPU whole).
func shimBound(what string, floor, wrapper float64) row {
	return row{Name: "bound: (floor + minimal Go wrapper as the shim) ÷ floor, " + what + ", of the medians: the least a run with a Go shim reaches, every other feature free",
		Unit: "×", S: summarize([]float64{1 + wrapper/floor})}
}

// med is the median of ts in milliseconds.
func med(ts []time.Duration) float64 { return summarize(ms(ts)).Median }

// splitRows split switchman's time into its parts, each the per-round
// difference of two variants.
func splitRows(t map[string][]time.Duration) []row {
	part := func(name string, a, b string) row {
		return row{Name: "*where the time goes:* " + name, Unit: "ms", S: summarize(ms(minus(t[a], t[b])))}
	}
	return []row{
		part("empty Go program − bare", vGoFloor, vBare),
		part("`switchman --version` − empty Go program (binary size, package init)", vVersion, vGoFloor),
		part("`switchman --no-lock -- /bin/true` − `--version` (config, FQDN, supervision, child)", vNoLock, vVersion),
		part("locked − `--no-lock` (everything ZooKeeper: session, lock, run record, release)", vLocked, vNoLock),
	}
}

// cgroupRows are what a run's own cgroup costs: the default run against
// the same with cgroup: off, per round, in wall and CPU time; on a host
// that gives a run no cgroup, one row that says why.
func cgroupRows(r overheadResult) []row {
	const name = "per-run cgroup (`cgroup: auto`, the default) − `cgroup: off`, `--no-lock`, per round"
	if _, err := cgroup.Probe(); err != nil {
		return []row{{Name: name, Note: "no cgroup here: " + err.Error()}}
	}
	return []row{
		{Name: name + ": wall", Unit: "ms", S: summarize(ms(minus(r.Times[vNoLock], r.Times[vNoCg])))},
		{Name: name + ": CPU (user+sys, child included)", Unit: "ms", S: summarize(ms(minus(r.CPU[vNoLock], r.CPU[vNoCg])))},
	}
}

// cpuSection shows the CPU time of every overhead variant.
func cpuSection(r overheadResult) section {
	s := section{Title: "1b. CPU time (user+sys, child included) per run of the overhead variants"}
	for _, v := range []struct{ key, name string }{
		{vBare, "`/bin/true`"}, {vFlock, "`flock FILE /bin/true`"}, {vGoFloor, "empty Go program"},
		{vGoExec, "minimal Go wrapper"}, {vZKFloor, "minimal ZooKeeper-locked Go wrapper"},
		{vVersion, "`switchman --version`"}, {vNoLock, "`switchman --no-lock -- /bin/true`"},
		{vNoCg, "`switchman --no-lock -- /bin/true`, `cgroup: off`"},
		{vLocked, "`switchman -- /bin/true` (locked)"}, {vShim, "`switchman-shim` running `/bin/true`"},
		{vBase, "baseline (locked)"},
	} {
		if len(r.CPU[v.key]) > 0 {
			s.Rows = append(s.Rows, row{Name: v.name, Unit: "ms", S: summarize(ms(r.CPU[v.key]))})
		}
	}
	return s
}

func memorySection(f *fixture, o options, rep *report) section {
	s := section{Title: "2. Memory of the switchman process while its child sleeps"}
	r, err := measureMemory(f, o.MemoryRuns)
	if err != nil {
		s.Rows = append(s.Rows, failedRow("memory", err))
		return s
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("Memory: read from /proc/PID/status %s after the child is ready, %d runs. "+
		"RssFile is the part of the binary's pages in memory: page cache shared by every switchman process of the host; "+
		"RssAnon is the part each process adds on its own.", memorySettle, o.MemoryRuns))
	rss := summarize(mb(r["VmRSS"]))
	s.Rows = append(s.Rows,
		row{Name: "VmRSS", Unit: "MB", S: rss, Target: fmt.Sprintf("< %g MB", targetRSSMB), Met: met(rss.Max < targetRSSMB)},
		row{Name: "VmHWM (peak RSS)", Unit: "MB", S: summarize(mb(r["VmHWM"]))},
		row{Name: "*of VmRSS:* RssAnon (heap, stacks)", Unit: "MB", S: summarize(mb(r["RssAnon"]))},
		row{Name: "*of VmRSS:* RssFile (mapped binary and libraries)", Unit: "MB", S: summarize(mb(r["RssFile"]))},
	)
	if len(r["ShimRSS"]) > 0 {
		s.Rows = append(s.Rows,
			row{Name: "switchman's shim process (between switchman and the job): VmRSS", Unit: "MB", S: summarize(mb(r["ShimRSS"]))},
			row{Name: "*of the shim's VmRSS:* RssAnon", Unit: "MB", S: summarize(mb(r["ShimAnon"]))},
		)
	}
	return s
}

// mb converts /proc's kB (1024 bytes) to MB (MiB).
func mb(kb []float64) []float64 {
	out := make([]float64, len(kb))
	for i, v := range kb {
		out[i] = v / 1024
	}
	return out
}

func reactionSection(f *fixture, o options) section {
	s := section{Title: "3. Reaction: ZooKeeper change to the child's SIGTERM"}
	r, err := measureReaction(f, o.Trials)
	if err != nil {
		s.Rows = append(s.Rows, failedRow("reaction", err))
		return s
	}
	target := fmt.Sprintf("p99 < %g ms", targetReactionMs)
	del, moved := summarize(ms(r.LockDeleted)), summarize(ms(r.GroupMoved))
	s.Rows = append(s.Rows,
		row{Name: "lock znode deleted → SIGTERM", Unit: "ms", S: del, Target: target, Met: met(del.P99 < targetReactionMs)},
		row{Name: "group moved to another host → SIGTERM", Unit: "ms", S: moved, Target: target, Met: met(moved.P99 < targetReactionMs)},
	)
	return s
}

func fenceSection(f *fixture, o options) section {
	s := section{Title: fmt.Sprintf("4. Self-fencing: ZooKeeper frozen (SIGSTOP) to the child's SIGTERM, session timeout %s", fenceSession)}
	r, err := measureFence(f, o.FenceTrials)
	if err != nil {
		s.Rows = append(s.Rows, failedRow("self-fencing", err))
		return s
	}
	stopped := summarize(ms(r.Stopped))
	session := float64(r.Session.Milliseconds())
	share := make([]float64, len(r.Stopped))
	for i, d := range ms(r.Stopped) {
		share[i] = 100 * d / session
	}
	s.Rows = append(s.Rows,
		row{Name: "freeze → SIGTERM", Unit: "ms", S: stopped, Target: fmt.Sprintf("always < %g ms", session), Met: met(stopped.Max < session), Hard: true},
		row{Name: "freeze → SIGTERM, share of the session timeout", Unit: "%", S: summarize(share)},
	)
	return s
}

func herdSection(f *fixture, o options, rep *report) section {
	s := section{Title: fmt.Sprintf("5. Herd: %d switchman processes released at one instant on one lock", o.Herd)}
	kinds, errs := f.herdKinds()
	rounds, runErrs := measureHerd(f, kinds, childHerd, o.Herd, o.HerdRounds)
	maps.Copy(errs, runErrs)
	if err := errs[herdSwitchman]; err != nil {
		s.Rows = append(s.Rows, failedRow("herd", err))
	} else {
		s.Rows = append(s.Rows, switchmanHerdRows(herdColumnsOf(rounds[herdSwitchman]))...)
	}
	s.Rows = append(s.Rows, floorHerdRows(o.Herd, rounds, errs)...)
	rep.Notes = append(rep.Notes, fmt.Sprintf("Herd: each round starts %d shells that block opening a FIFO and then exec switchman; "+
		"opening the FIFO's write end releases all of them at once. The winner's child holds the lock until every other "+
		"process has exited, so each of the others meets a busy lock. The same herd, interleaved round by round, runs the "+
		"minimal ZooKeeper-locked Go wrapper of section 1 (which skips its command and closes its session when its node "+
		"exists) and an empty Go program (no lock: every process just starts and exits), so the table shows what any Go "+
		"program, and any Go program with a ZooKeeper session, pays in the same herd on this machine; "+
		"those rows carry no target of their own.", o.Herd))
	return s
}

// herdColumns are one kind's herd rounds as columns, times in milliseconds.
type herdColumns struct {
	ran, losers, all, packets, writes, cpu []float64
	// exactlyOne is whether every round ran exactly one child.
	exactlyOne bool
}

func herdColumnsOf(rounds []herdRound) herdColumns {
	c := herdColumns{exactlyOne: true}
	for _, r := range rounds {
		c.ran = append(c.ran, float64(r.Ran))
		c.losers = append(c.losers, float64(r.Losers.Microseconds())/1000)
		c.all = append(c.all, float64(r.All.Microseconds())/1000)
		c.packets = append(c.packets, r.PacketsPerRun)
		c.writes = append(c.writes, r.WritesPerRun)
		c.cpu = append(c.cpu, r.CPUPerRun.Seconds()*1000)
		c.exactlyOne = c.exactlyOne && r.Ran == 1
	}
	return c
}

// switchmanHerdRows are the herd's correctness check and switchman's times.
func switchmanHerdRows(c herdColumns) []row {
	return []row{
		{Name: "children run per herd", Unit: "", S: summarize(c.ran), Target: "exactly 1, every round", Met: met(c.exactlyOne), Hard: true},
		{Name: "until every other process exited (lock busy)", Unit: "ms", S: summarize(c.losers),
			Target: fmt.Sprintf("< %g ms", targetHerdMs), Met: met(summarize(c.losers).Max < targetHerdMs)},
		{Name: "until all exited (winner's child released then)", Unit: "ms", S: summarize(c.all)},
		{Name: "ZooKeeper requests per switchman run", Unit: "req", S: summarize(c.packets)},
		{Name: "ZooKeeper writes per switchman run (zxid)", Unit: "writes", S: summarize(c.writes)},
		{Name: fmt.Sprintf("CPU (user+sys) per process; %d CPUs", runtime.NumCPU()), Unit: "ms", S: summarize(c.cpu)},
	}
}

// floorHerdRows are the same herd of the floor program and of an empty Go
// program, and switchman's herd against the floor's.
func floorHerdRows(n int, rounds map[string][]herdRound, errs map[string]error) []row {
	floor := fmt.Sprintf("herd of %d minimal ZooKeeper-locked Go wrappers (the floor program)", n)
	empty := fmt.Sprintf("herd of %d empty Go programs (process start alone, no ZooKeeper)", n)
	var rows []row
	if err := errs[herdFloor]; err != nil {
		rows = append(rows, failedRow(floor, err))
	} else {
		c := herdColumnsOf(rounds[herdFloor])
		rows = append(rows,
			row{Name: floor + ": children run per herd", Unit: "", S: summarize(c.ran), Target: "exactly 1, every round", Met: met(c.exactlyOne), Hard: true},
			row{Name: floor + " on one busy lock: until every other process exited", Unit: "ms", S: summarize(c.losers)},
			row{Name: floor + ": CPU (user+sys) per process", Unit: "ms", S: summarize(c.cpu)},
			row{Name: floor + ": ZooKeeper requests per run", Unit: "req", S: summarize(c.packets)},
		)
	}
	if err := errs[herdEmpty]; err != nil {
		rows = append(rows, failedRow(empty, err))
	} else {
		c := herdColumnsOf(rounds[herdEmpty])
		rows = append(rows,
			row{Name: empty + ": until every process exited", Unit: "ms", S: summarize(c.losers)},
			row{Name: empty + ": CPU (user+sys) per process", Unit: "ms", S: summarize(c.cpu)},
		)
	}
	if errs[herdSwitchman] == nil && errs[herdFloor] == nil {
		sw, fl := herdColumnsOf(rounds[herdSwitchman]), herdColumnsOf(rounds[herdFloor])
		herd := medianRatio("switchman herd ÷ floor herd: until every other process exited, of the medians", sw.losers, fl.losers)
		herd.Target, herd.Met = fmt.Sprintf("≤ %g", targetHerdRatio), met(herd.S.Median <= targetHerdRatio)
		rows = append(rows, herd,
			medianRatio("switchman herd ÷ floor herd: CPU per process, of the medians", sw.cpu, fl.cpu),
		)
	}
	return rows
}

// medianRatio is a row of median(a) ÷ median(b), without a target.
func medianRatio(name string, a, b []float64) row {
	return row{Name: name, Unit: "×", S: summarize([]float64{summarize(a).Median / summarize(b).Median})}
}

// otherSection measures what the other issues added: leases, crontab
// generation and `status`.
func otherSection(f *fixture, o options) section {
	s := section{Title: "6. Benchmarks of other issues"}
	s.Rows = append(s.Rows, leaseRows(f, o.LeaseRounds)...)
	r, err := measureCrontab(f.dir, o.Scripts)
	if err != nil {
		s.Rows = append(s.Rows, failedRow("crontab generation", err))
	} else {
		s.Rows = append(s.Rows,
			row{Name: fmt.Sprintf("crontab generation: scan, parse and render %d scripts (%d cron lines, %d KB)",
				r.Scripts, r.Entries, r.Bytes/1024), Unit: "ms", S: summarize(ms(r.Times))},
			row{Name: "crontab generation, per script", Unit: "µs", S: summarize(perItem(r.Times, r.Scripts))},
		)
	}
	s.Rows = append(s.Rows, statusRows(f, o)...)
	return s
}

func statusRows(f *fixture, o options) []row {
	r, err := measureStatus(f, o.Jobs, o.Jobs/10)
	if err != nil {
		return []row{failedRow("`switchman status`", err)}
	}
	want := r.Jobs + r.Running
	return []row{
		{Name: fmt.Sprintf("`switchman status` over %d jobs (%d running, lock held)", r.Jobs, r.Running), Unit: "ms", S: summarize(ms(r.Times))},
		{Name: "`switchman status`: lines naming a job (run records + held locks)", Unit: "lines", S: summarize([]float64{float64(r.Listed)}),
			Target: fmt.Sprintf("%d", want), Met: met(r.Listed == want), Hard: true},
		{Name: "`switchman status`: ZooKeeper requests per run", Unit: "req", S: summarize([]float64{r.PacketsPerRun})},
	}
}

// perItem divides each duration by n, in microseconds.
func perItem(ds []time.Duration, n int) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d.Microseconds()) / float64(n)
	}
	return out
}
