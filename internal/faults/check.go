package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acme/switchman/internal/history"
	"github.com/acme/switchman/internal/mdsection"
)

// exitLost is switchman's status when it stopped the child because
// permission was lost (README: exit status 71).
const exitLost = 71

// exitSoftware is switchman's internal-error status: never acceptable.
const exitSoftware = 70

// knownBugs are wrapper bugs this harness found and reproduced. While one is listed, its symptom is reported as
// a note marked KNOWN BUG instead of a violation, so that CI stays green on
// everything else; delete the entry once the bug is fixed and the check is
// strict again.
var knownBugs = map[string]string{}

// knownOr records msg as a violation, or as a KNOWN BUG note while the bug
// named key is listed in knownBugs.
func (o *outcome) knownOr(key, msg string) {
	if desc, ok := knownBugs[key]; ok {
		o.notef("KNOWN BUG (%s): %s", desc, msg)
		return
	}
	o.violations = append(o.violations, msg)
}

// outcome is what a fault reports to the checker besides the log.
type outcome struct {
	// allowOverlap: the fault is one switchman cannot prevent (a frozen
	// wrapper); overlaps are reported, not counted as violations.
	allowOverlap bool
	// noKills: nothing may be stopped (exit 71 counts as a false kill).
	noKills bool
	// schedule is the group's membership over time, for the move check;
	// nil when the group never changes. grace is how long a removed host
	// may still run.
	schedule history.Schedule
	grace    time.Duration

	reactions  []time.Duration
	notes      []string
	violations []string
}

func (o *outcome) notef(format string, args ...any) {
	o.notes = append(o.notes, fmt.Sprintf(format, args...))
}

func (o *outcome) violatef(format string, args ...any) {
	o.violations = append(o.violations, fmt.Sprintf(format, args...))
}

// result is one row of the report.
type result struct {
	name       string
	servers    int
	runs       int
	worst      time.Duration
	overlaps   int
	p50, p99   time.Duration
	reactions  int
	exits      map[string]int
	notes      []string
	violations []string
	elapsed    time.Duration
}

// check verifies a finished scenario: the history, the processes, the
// znodes and the exit codes.
func check(h *harness, o *outcome, hung int) result {
	res := result{exits: map[string]int{}}
	runs, err := h.history()
	if err != nil {
		o.violatef("history: %v", err)
	}
	res.runs = len(runs)
	checkOverlaps(runs, o, &res)
	checkTokens(runs, o)
	checkSlots(runs, o)
	checkProcesses(runs, o)
	checkExits(h, o, &res)
	if hung > 0 {
		o.violatef("%d switchman process(es) did not exit after SIGTERM and were killed by the harness", hung)
	}
	if o.schedule != nil {
		for _, r := range history.OutsideGroup(runs, o.schedule, o.grace) {
			o.violatef("ran outside the group: %s", r)
		}
		o.reactions = append(o.reactions, history.ReactionTimes(runs, o.schedule)...)
	}
	left, err := h.cl.waitNoEphemerals(h.prefix, sessionTimeout+3*time.Second)
	switch {
	case err != nil:
		o.violatef("list znodes: %v", err)
	case len(left) > 0:
		o.violatef("znodes left after every client exited: %s", strings.Join(left, ", "))
	}
	res.reactions = len(o.reactions)
	res.p50, res.p99 = history.Percentile(o.reactions, 50), history.Percentile(o.reactions, 99)
	res.notes, res.violations = o.notes, o.violations
	return res
}

func checkOverlaps(runs []history.Run, o *outcome, res *result) {
	ov := history.Overlaps(runs)
	res.overlaps = len(ov)
	res.worst = history.WorstOverlap(runs)
	for i, x := range ov {
		if o.allowOverlap {
			o.notef("overlap (expected for this fault) %s: %s and %s", x.Dur.Round(time.Millisecond), x.A, x.B)
			continue
		}
		if i == 3 {
			o.violatef("... %d more overlaps", len(ov)-3)
			break
		}
		o.violatef("overlap %s: %s and %s", x.Dur.Round(time.Millisecond), x.A, x.B)
	}
}

// checkTokens: per lock, in start order, fencing tokens must grow.
func checkTokens(runs []history.Run, o *outcome) {
	for lock, rs := range history.ByLock(runs) {
		if lock == history.NoLock {
			continue
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Start.Before(rs[j].Start) })
		var prev int64
		var prevRun history.Run
		for _, r := range rs {
			tok, err := strconv.ParseInt(r.Extra["token"], 10, 64)
			if err != nil {
				o.violatef("run without a fencing token: %s", r)
				continue
			}
			if tok <= prev {
				o.violatef("fencing token did not grow: %s (%d) after %s (%d)", r, tok, prevRun, prev)
			}
			prev, prevRun = tok, r
		}
	}
}

// checkSlots: per lock, each slot (--schedule, recorded from the child's
// SWITCHMAN_SLOT) ran at most once, whatever the fault.
func checkSlots(runs []history.Run, o *outcome) {
	for lock, rs := range history.ByLock(runs) {
		first := map[string]history.Run{}
		for _, r := range rs {
			s := r.Extra["slot"]
			if s == "" {
				continue
			}
			if prev, ok := first[s]; ok {
				o.violatef("slot %s of %s ran twice: %s and %s", s, lock, prev, r)
				continue
			}
			first[s] = r
		}
	}
}

// checkProcesses: every child and grandchild is gone.
func checkProcesses(runs []history.Run, o *outcome) {
	for _, r := range runs {
		if r.End.IsZero() {
			o.violatef("child never seen dead: %s", r)
		}
		for _, p := range r.Procs() {
			if !p.WaitGone(2 * time.Second).IsZero() {
				continue
			}
			o.violatef("process %d of %s left running", p.PID, r)
			_ = p.Kill()
		}
	}
}

func checkExits(h *harness, o *outcome, res *result) {
	for _, l := range h.snapshot() {
		key := strconv.Itoa(l.code)
		if l.signal != "" {
			key = l.signal
		}
		res.exits[key]++
		switch {
		case l.code == exitSoftware && strings.Contains(l.stderr.String(), "zk: connection closed"):
			o.knownOr("read-connloss", fmt.Sprintf("switchman on %s exited 70: %s", l.host, firstLine(l.stderr.String())))
		case l.code == exitSoftware || l.code == -2:
			o.violatef("switchman on %s exited %d: %s", l.host, l.code, firstLine(l.stderr.String()))
		case l.code == exitLost && o.noKills:
			o.violatef("false kill: switchman on %s stopped its child (exit 71): %s", l.host, firstLine(l.stderr.String()))
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// exitSummary renders the exit-code tally: "0×12 71×1".
func exitSummary(m map[string]int) string { return mdsection.Tally(m) }
