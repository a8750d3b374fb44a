package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// rate is an ensemble's saturated throughput, as the ZooKeeper paper
// measured it (Hunt et al., "ZooKeeper: Wait-free coordination for
// Internet-scale systems", USENIX ATC 2010, Table 1): requests per second
// with only writes, and with only reads.
type rate struct {
	Servers       int
	Writes, Reads float64
}

// paperRates are Table 1's rows for 3 and 5 servers.
var paperRates = []rate{{Servers: 3, Writes: 21000, Reads: 87000}, {Servers: 5, Writes: 18000, Reads: 165000}}

// withObservers is r with n observers: the paper measured none. Observers
// serve sessions and reads and forward writes, which the voters still
// commit, so the model keeps the write rate and scales the read rate
// with the servers that answer clients, as Table 1's reads grow with the
// ensemble. An extrapolation.
func (r rate) withObservers(n int) rate {
	r.Reads *= float64(r.Servers+n) / float64(r.Servers)
	return r
}

// Model parameters: the fleet's jobs per minute, the burst a tick may
// take (the p99 target), the splay it may be spread over, and how busy
// a spread tick may keep the ensemble (headroom for the unforeseen).
const (
	modelJobs       = 10
	burstBudget     = 3 * time.Second
	modelSplay      = 30 * time.Second
	splayMaxLoad    = 0.5
	modelHostsLimit = 100000
)

// modelHosts are the fleet sizes the model tabulates.
var modelHosts = []int{200, 1000, 2000, 5000, 10000}

// perRun is what one run of each kind costs the ensemble: quorum
// transactions and requests (packets received, writes included).
type perRun struct {
	Writes, Requests map[kind]float64
}

// perRunOf takes the median of the in-process runs of each kind of the
// same-path check; ok is false without a check.
func perRunOf(check []kindCost) (p perRun, ok bool) {
	p = perRun{Writes: map[kind]float64{}, Requests: map[kind]float64{}}
	for _, kc := range check {
		if len(kc.InProcess) == 0 {
			continue
		}
		p.Writes[kc.Kind], p.Requests[kc.Kind] = medianCost(kc.InProcess)
		ok = true
	}
	return p, ok
}

// median returns the middle value of xs (the lower middle of an even
// count), which it sorts.
func median(xs []int64) float64 {
	slices.Sort(xs)
	return float64(xs[(len(xs)-1)/2])
}

// load is what one tick of fleet s asks of the ensemble, at one winner
// per job (spec.expected).
type load struct {
	Runs, Writes, Requests float64
}

// loadOf prices fleet s's tick at p.
func (p perRun) loadOf(s spec) load {
	l := load{Runs: float64(s.Runs())}
	for k, n := range s.expected() {
		l.Writes += float64(n) * p.Writes[k]
		l.Requests += float64(n) * p.Requests[k]
	}
	return l
}

// seconds is how long the tick's requests keep an ensemble of rate r
// saturated, counting a write as 1/r.Writes of its second and every other
// request as 1/r.Reads: a straight line between Table 1's two extremes.
func (l load) seconds(r rate) float64 {
	return l.Writes/r.Writes + (l.Requests-l.Writes)/r.Reads
}

// maxHosts is the largest fleet of modelJobs jobs, at fraction, whose
// tick fits in budget seconds of r (up to modelHostsLimit; 0 when not
// even one host fits).
func (p perRun) maxHosts(fraction float64, r rate, budget float64) int {
	fits := func(h int) bool {
		return p.loadOf(spec{Hosts: h, Jobs: modelJobs, Fraction: fraction}).seconds(r) <= budget
	}
	lo, hi := 0, modelHostsLimit
	if fits(hi) {
		return hi
	}
	for hi-lo > 1 { // fits(lo) or lo == 0; !fits(hi)
		mid := (lo + hi) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// modelRates are the ensembles the model tables compare.
func modelRates() []rate {
	return []rate{paperRates[0], paperRates[1], paperRates[0].withObservers(2)}
}

// rateName names an ensemble of the model.
func rateName(r rate, observers int) string {
	if observers > 0 {
		return fmt.Sprintf("%d + %d observers", r.Servers, observers)
	}
	return fmt.Sprintf("%d servers", r.Servers)
}

// raced returns p with a busy run priced as in a tick at :00, where the
// members of a group all read the lock free and each loser sends the
// create that fails: the busy run's writes derived from the largest
// measured tick without a failed run (its transactions less what its
// winning and not-in-group runs cost alone, per busy run), and one
// request more than alone, that create. ok is false when no such tick
// has a busy run.
func (p perRun) raced(ticks []tickResult) (q perRun, from spec, ok bool) {
	var best *tickResult
	for i, t := range ticks {
		if t.Tally.Kinds[kindFailed] == 0 && t.Tally.Kinds[kindBusy] > 0 && (best == nil || t.Spec.Runs() > best.Spec.Runs()) {
			best = &ticks[i]
		}
	}
	if best == nil {
		return p, spec{}, false
	}
	k := best.Tally.Kinds
	rest := float64(k[kindWin])*p.Writes[kindWin] + float64(k[kindNotInGroup])*p.Writes[kindNotInGroup]
	q = perRun{Writes: maps.Clone(p.Writes), Requests: maps.Clone(p.Requests)}
	q.Writes[kindBusy] = max(0, float64(best.Server.Zxid)-rest) / float64(k[kindBusy])
	q.Requests[kindBusy] = p.Requests[kindBusy] + 1
	return q, best.Spec, true
}

// writeModel renders the capacity model for one setup: alone prices the
// runs of a spread tick (a busy run reads the lock held), atOnce those of
// a tick at :00 (a busy run raced; see raced). measuredRuns is the
// largest tick the simulator fired, beyond which a row is an
// extrapolation of the per-run cost too.
func writeModel(b *strings.Builder, name string, alone, atOnce perRun, fraction float64, measuredRuns int) {
	rates := modelRates()
	names := []string{rateName(rates[0], 0), rateName(rates[1], 0), rateName(paperRates[0], 2)}
	fmt.Fprintf(b, "\n### %s\n\n", name)
	fmt.Fprintf(b, "| hosts × jobs | runs per tick | writes at :00 | other requests at :00 | tick at :00, %s | %s | %s | writes, spread | %s splay, %s | beyond the measured ticks |\n",
		names[0], names[1], names[2], modelSplay, names[0])
	fmt.Fprintf(b, "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, h := range modelHosts {
		s := spec{Hosts: h, Jobs: modelJobs, Fraction: fraction}
		l, spread := atOnce.loadOf(s), alone.loadOf(s)
		beyond := "no"
		if s.Runs() > measuredRuns {
			beyond = "yes"
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s s | %s s | %s s | %s | %s%% | %s |\n", s, s.Runs(), num(l.Writes), num(l.Requests-l.Writes),
			num(l.seconds(rates[0])), num(l.seconds(rates[1])), num(l.seconds(rates[2])), num(spread.Writes),
			num(100*spread.seconds(rates[0])/modelSplay.Seconds()), beyond)
	}
	fmt.Fprintf(b, "\nLargest fleet of %d jobs a minute (up to %d hosts) whose tick fits in %s at :00, or keeps the ensemble at most %.0f%% busy over a %s splay:\n\n",
		modelJobs, modelHostsLimit, burstBudget, 100*splayMaxLoad, modelSplay)
	fmt.Fprintf(b, "| ensemble | at :00 | with %s splay |\n|---|--:|--:|\n", modelSplay)
	for i, r := range rates {
		fmt.Fprintf(b, "| %s | %s | %s |\n", names[i], hostsCell(atOnce.maxHosts(fraction, r, burstBudget.Seconds())),
			hostsCell(alone.maxHosts(fraction, r, splayMaxLoad*modelSplay.Seconds())))
	}
}

// priceLine says what the model charges each kind of run.
func priceLine(alone, atOnce perRun, raced bool, from spec) string {
	line := fmt.Sprintf("Per run alone: winning %s writes and %s requests; busy %s and %s; not in group %s and %s.",
		num(alone.Writes[kindWin]), num(alone.Requests[kindWin]), num(alone.Writes[kindBusy]), num(alone.Requests[kindBusy]),
		num(alone.Writes[kindNotInGroup]), num(alone.Requests[kindNotInGroup]))
	if !raced {
		return line + " No tick without a failed run had a busy run, so a busy run at :00 is priced alone too: the tick at :00 is underestimated."
	}
	return line + fmt.Sprintf(" A busy run at :00, which races, from the %s tick: %s writes and %s requests.",
		from, num(atOnce.Writes[kindBusy]), num(atOnce.Requests[kindBusy]))
}

// hostsCell prints a host count, or that the model's limit was reached.
func hostsCell(h int) string {
	if h >= modelHostsLimit {
		return fmt.Sprintf("≥ %d", modelHostsLimit)
	}
	return fmt.Sprintf("%d", h)
}
