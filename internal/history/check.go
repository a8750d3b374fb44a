package history

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"
)

// Unbounded is the Dur of an Overlap between two runs that both never ended:
// the overlap has no known end.
const Unbounded = time.Duration(math.MaxInt64)

// farFuture stands for the end of a run that has not ended.
var farFuture = time.Unix(0, math.MaxInt64)

// endOf is a run's end for the checkers: a zero End means still running.
func endOf(r Run) time.Time {
	if r.End.IsZero() {
		return farFuture
	}
	return r.End
}

// Overlap is two runs of one lock that ran at the same time. A started no later
// than B.
type Overlap struct {
	A, B Run
	Dur  time.Duration // how long both ran; Unbounded if neither ended
}

// Overlaps returns every pair of runs of the same lock whose intervals
// intersect, ordered by lock and then by A's and B's start. Intervals are
// half-open: a run ending exactly when another starts does not overlap it. A
// run with a zero End is taken to be still running. Runs with Lock NoLock are
// ignored.
func Overlaps(runs []Run) []Overlap {
	var out []Overlap
	byLock := ByLock(runs)
	locks := make([]string, 0, len(byLock))
	for l := range byLock {
		locks = append(locks, l)
	}
	sort.Strings(locks)
	for _, l := range locks {
		if l == NoLock {
			continue
		}
		out = append(out, lockOverlaps(byLock[l])...)
	}
	return out
}

// lockOverlaps finds overlaps among runs of one lock, sorted by start: once a
// later run starts at or after A's end, all following ones do too.
func lockOverlaps(runs []Run) []Overlap {
	var out []Overlap
	for i, a := range runs {
		aEnd := endOf(a)
		for _, b := range runs[i+1:] {
			if !b.Start.Before(aEnd) {
				break
			}
			out = append(out, Overlap{A: a, B: b, Dur: overlapDur(aEnd, endOf(b), b.Start)})
		}
	}
	return out
}

func overlapDur(aEnd, bEnd, bStart time.Time) time.Duration {
	end := aEnd
	if bEnd.Before(end) {
		end = bEnd
	}
	if end.Equal(farFuture) {
		return Unbounded
	}
	return end.Sub(bStart)
}

// WorstOverlap returns the longest Dur among Overlaps(runs), or 0 if no two
// runs of one lock overlapped.
func WorstOverlap(runs []Run) time.Duration {
	var worst time.Duration
	for _, o := range Overlaps(runs) {
		worst = max(worst, o.Dur)
	}
	return worst
}

// ByLock groups runs by lock name, each group sorted by start.
func ByLock(runs []Run) map[string][]Run {
	m := map[string][]Run{}
	for _, r := range runs {
		m[r.Lock] = append(m[r.Lock], r)
	}
	for _, rs := range m {
		sortRuns(rs)
	}
	return m
}

// MaxConcurrency returns, for each key, the largest sum of weight(r) over runs
// r with that key running at one instant; for example lease units in use per
// resource. Runs for which key returns "" are skipped. Intervals are
// half-open, and a run with a zero End is taken to be still running.
func MaxConcurrency(runs []Run, key func(Run) string, weight func(Run) int) map[string]int {
	return MaxUsage(runs, func(r Run) map[string]int {
		k := key(r)
		if k == "" {
			return nil
		}
		return map[string]int{k: weight(r)}
	})
}

// usageEvent is a change of usage of one key at one instant.
type usageEvent struct {
	at    time.Time
	delta int
}

// MaxUsage is MaxConcurrency for runs that use several keys at once (a job
// holding leases on two resources): uses returns the units each run holds per
// key, and the result is the peak sum per key.
func MaxUsage(runs []Run, uses func(Run) map[string]int) map[string]int {
	events := map[string][]usageEvent{}
	for _, r := range runs {
		for k, w := range uses(r) {
			events[k] = append(events[k], usageEvent{r.Start, w})
			if !r.End.IsZero() {
				events[k] = append(events[k], usageEvent{r.End, -w})
			}
		}
	}
	peak := make(map[string]int, len(events))
	for k, evs := range events {
		peak[k] = peakOf(evs)
	}
	return peak
}

// peakOf sweeps events in time order; at one instant releases come before
// acquisitions, because a run ending exactly when another starts is not
// concurrent with it.
func peakOf(evs []usageEvent) int {
	slices.SortFunc(evs, func(a, b usageEvent) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.delta, b.delta)
	})
	cur, peak := 0, 0
	for _, e := range evs {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

// Change says that from At on, exactly Hosts are in the group.
type Change struct {
	At    time.Time
	Hosts []string
}

// Schedule is a group's membership over time: changes in increasing At order.
// Before the first change no host is in the group.
type Schedule []Change

// Allowed reports whether host was in the group at the instant at.
func (s Schedule) Allowed(host string, at time.Time) bool {
	in := false
	for _, c := range s {
		if c.At.After(at) {
			break
		}
		in = slices.Contains(c.Hosts, host)
	}
	return in
}

// exclusion is a span [from, until) during which a host is out of the group.
// removal is true when it began by removing the host (a group move), false
// when the host was out from the start of the schedule.
type exclusion struct {
	from, until time.Time
	removal     bool
}

// exclusions returns host's spans outside the group; the first starts at the
// zero time if host is not in the first change, and the last may end at
// farFuture.
func (s Schedule) exclusions(host string) []exclusion {
	var out []exclusion
	cur := exclusion{}
	in := false
	for _, c := range s {
		now := slices.Contains(c.Hosts, host)
		switch {
		case in && !now:
			cur = exclusion{from: c.At, removal: true}
		case !in && now:
			cur.until = c.At
			out = append(out, cur)
		}
		in = now
	}
	if !in {
		cur.until = farFuture
		out = append(out, cur)
	}
	return out
}

// OutsideGroup returns the runs that ran on a host while it was outside the
// group, in start order. A host removed from the group by a change at time T
// has until T+grace to stop its running children (switchman has to notice the
// move and stop the child); a child still running then, or one started after
// T+grace, is reported. A host that was never in the group, or not in the first
// change, gets no grace. A run with a zero End is taken to be still running.
func OutsideGroup(runs []Run, s Schedule, grace time.Duration) []Run {
	var out []Run
	excl := map[string][]exclusion{}
	for _, r := range runs {
		ex, ok := excl[r.Host]
		if !ok {
			ex = s.exclusions(r.Host)
			excl[r.Host] = ex
		}
		if violates(r, ex, grace) {
			out = append(out, r)
		}
	}
	sortRuns(out)
	return out
}

func violates(r Run, ex []exclusion, grace time.Duration) bool {
	for _, e := range ex {
		from := e.from
		if e.removal {
			from = from.Add(grace)
		}
		if r.Start.Before(e.until) && from.Before(endOf(r)) {
			return true
		}
	}
	return false
}

// ReactionTimes returns, for every run on a host at the moment a change
// removed that host from the group (or started on it after that moment), the
// time from the change to the run's end: how long switchman took to stop the
// child after the move. Runs that were still running when the host was
// re-added, or that have a zero End, have no reaction time and are left out
// (OutsideGroup reports them if they ran too long).
func ReactionTimes(runs []Run, s Schedule) []time.Duration {
	var out []time.Duration
	for _, r := range runs {
		if r.End.IsZero() {
			continue
		}
		for _, e := range s.exclusions(r.Host) {
			if !e.removal || !r.Start.Before(e.until) || !e.from.Before(r.End) || r.End.After(e.until) {
				continue
			}
			out = append(out, r.End.Sub(e.from))
		}
	}
	return out
}

// Percentile returns the p-th percentile (0..100) of ds by the nearest-rank
// method: the smallest value with at least p% of the values at or below it.
// p <= 0 gives the minimum and p >= 100 the maximum; an empty ds gives 0. ds is
// not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	if math.IsNaN(p) {
		p = 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}
