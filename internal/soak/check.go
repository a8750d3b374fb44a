package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/history"
)

// Exit statuses the checker judges (README: Exit status).
const (
	exitSoftware = 70 // switchman's internal error: never acceptable
)

// killLatency bounds how long a job's processes may outlive the end of
// their wrapper's permission: the grace (TERM -> KILL) plus generous room
// for a loaded 2-core box to deliver the KILL and reap.
const killLatency = graceTimeout + 2*time.Second

// finding is one bad event (a violation) or one documented window (a note),
// dated so that the report can name the fault before it.
type finding struct {
	at  time.Time
	msg string
}

// result is everything the checker found.
type result struct {
	runs       []history.Run
	byRun      map[string]*launch // runKey -> its launch
	violations []finding
	windows    []finding // unpreventable windows, with evidence
	notes      []string
	exits      map[string]int
	events     map[string]int // notifications per event
	slots      int
	shifted    int // slot runs launched on a shifted clock, their slot checked
	printed    int64
}

func (r *result) violate(at time.Time, format string, args ...any) {
	r.violations = append(r.violations, finding{at, fmt.Sprintf(format, args...)})
}

func runKey(r history.Run) string { return fmt.Sprintf("%s|%d|%d", r.Host, r.PID, r.Start.UnixNano()) }

// check verifies the whole run once every wrapper has exited.
func (f *fleet) check(hung []*launch) *result {
	res := &result{byRun: map[string]*launch{}, exits: map[string]int{}, events: map[string]int{}}
	f.collect(res)
	for _, l := range hung {
		res.violate(l.started, "switchman %s run %d (%s) did not exit after SIGTERM; the harness killed it", l.host.name, l.seq, l.job)
	}
	f.checkOverlaps(res)
	f.checkLeases(res)
	f.checkProcesses(res)
	f.checkExits(res)
	f.checkSlots(res)
	f.checkNotifications(res)
	f.checkRecords(res)
	f.checkZnodes(res)
	sort.Slice(res.violations, func(i, j int) bool { return res.violations[i].at.Before(res.violations[j].at) })
	return res
}

// collect reads every launch's log, closing the runs without an end line
// at the moment their child was seen dead.
func (f *fleet) collect(res *result) {
	for _, l := range f.snapshot() {
		res.printed += l.printed.Load()
		runs, err := history.ParseFile(l.log)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			res.violate(l.started, "history of run %d: %v", l.seq, err)
			continue
		}
		runs = history.CloseUnended(runs, func(history.Run) time.Time { return l.deadAt })
		for _, r := range runs {
			res.byRun[runKey(r)] = l
		}
		res.runs = append(res.runs, runs...)
	}
	if runs, err := history.ParseFile(f.catchUpLog()); err == nil {
		res.runs = append(res.runs, runs...)
	}
}

// frozenAt returns the freeze of r's wrapper that covers t (with the kill
// latency after the thaw), if any.
func (f *fleet) frozenAt(res *result, r history.Run, t time.Time) (freeze, bool) {
	l := res.byRun[runKey(r)]
	for _, fz := range f.ev.freezes {
		if fz.l == l && !t.Before(fz.from) && t.Before(fz.to.Add(killLatency)) {
			return fz, true
		}
	}
	return freeze{}, false
}

// checkOverlaps: no two holders of one lock, except while a holder's wrapper
// was frozen past the session (it cannot act; its child runs on).
func (f *fleet) checkOverlaps(res *result) {
	for _, o := range history.Overlaps(res.runs) {
		fz, ok := f.frozenAt(res, o.A, o.B.Start)
		if !ok {
			fz, ok = f.frozenAt(res, o.B, o.B.Start)
		}
		if ok {
			res.windows = append(res.windows, finding{o.B.Start, fmt.Sprintf(
				"overlap %s of %s and %s: wrapper pid %d of %s frozen (SIGSTOP) from t+%s to t+%s, longer than S = %s",
				o.Dur.Round(time.Millisecond), o.A, o.B, fz.l.cmd.Process.Pid, fz.l.host.name,
				f.elapsed(fz.from).Round(time.Millisecond), f.elapsed(fz.to).Round(time.Millisecond), sessionTimeout)})
			continue
		}
		res.violate(o.B.Start, "two holders of %s for %s: %s and %s", o.A.Lock, o.Dur.Round(time.Millisecond), o.A, o.B)
	}
}

// checkLeases: never more than TOTAL leases of db at once. Runs whose wrapper
// was frozen past the session are left out (their windows are listed by
// the overlap check when they matter).
func (f *fleet) checkLeases(res *result) {
	var lease []history.Run
	for _, r := range res.runs {
		if !strings.Contains(r.Extra["leases"], "db=") {
			continue
		}
		if _, ok := f.frozenAt(res, r, r.Start); ok {
			res.windows = append(res.windows, finding{r.Start, "lease of a frozen wrapper left out of the TOTAL check: " + r.String()})
			continue
		}
		lease = append(lease, r)
	}
	peak := history.MaxConcurrency(lease, func(history.Run) string { return "db" }, func(history.Run) int { return 1 })
	if peak["db"] > 2 {
		res.violate(f.start, "%d leases of db held at once, TOTAL is 2", peak["db"])
	}
}

// checkProcesses: no child outlives its wrapper by more than the kill
// latency (a SIGKILLed wrapper's child dies with it), and every child and
// grandchild is gone at the end.
func (f *fleet) checkProcesses(res *result) {
	for _, r := range res.runs {
		l := res.byRun[runKey(r)]
		if r.End.IsZero() {
			res.violate(r.Start, "child never seen dead: %s", r)
		} else if l != nil && r.End.After(l.exited.Add(killLatency)) {
			res.violate(r.End, "child %s outlived its wrapper (exit %d %s) by %s", r, l.code, l.signal, r.End.Sub(l.exited).Round(time.Millisecond))
		}
		for _, p := range r.Procs() {
			if !p.WaitGone(2 * time.Second).IsZero() {
				continue
			}
			if l != nil && l.host.perl && p.PID != r.PID {
				// The original signals its command's pid, not its process
				// group (README, "Differences from the original"): its
				// command's children outlive a stopped command.
				res.windows = append(res.windows, finding{r.Start, fmt.Sprintf(
					"grandchild %d of the original's run %s left running (the original stops only its command's pid)", p.PID, r)})
			} else {
				res.violate(r.Start, "process %d of %s left running after its wrapper exited", p.PID, r)
			}
			_ = p.Kill()
		}
	}
}

// checkExits tallies exit statuses; an internal error, a failed start or a
// death by a signal the injector did not send is a violation.
func (f *fleet) checkExits(res *result) {
	for _, l := range f.snapshot() {
		key := strconv.Itoa(l.code)
		if l.signal != "" {
			key = l.signal
		}
		if l.host.perl {
			key = "original " + key
		}
		res.exits[key]++
		_, killed := f.ev.killed[l]
		switch {
		case l.code == -2 || (l.code == exitSoftware && !l.host.perl):
			res.violate(l.exited, "switchman on %s (%s) exited %d: %s", l.host.name, l.job, l.code, firstLine(l.stderr.String()))
		case l.signal != "" && !killed && !l.host.perl:
			res.violate(l.exited, "switchman on %s (%s) died of %s, which the injector did not send", l.host.name, l.job, l.signal)
		}
	}
}

// checkSlots: no slot of the slot job ran twice.
func (f *fleet) checkSlots(res *result) {
	seen := map[string]history.Run{}
	for _, r := range res.runs {
		s := r.Extra["slot"]
		if s == "" {
			continue
		}
		if prev, ok := seen[s]; ok {
			res.violate(r.Start, "slot %s ran twice: %s and %s", s, prev, r)
			continue
		}
		seen[s] = r
		f.checkShiftedSlot(res, r, s)
	}
	res.slots = len(seen)
}

// checkShiftedSlot: a slot run launched while its host's clock was off
// took its slot from the shifted clock: the wrapper read that clock
// somewhere between its launch and its exit.
func (f *fleet) checkShiftedSlot(res *result, r history.Run, s string) {
	l := res.byRun[runKey(r)]
	if l == nil || l.clock == 0 {
		return
	}
	slot, err := time.Parse(time.RFC3339, s)
	if err != nil {
		res.violate(r.Start, "slot %q of %s is not RFC 3339: %v", s, r, err)
		return
	}
	res.shifted++
	lo, hi := l.started.Add(l.clock).Truncate(time.Minute), l.exited.Add(l.clock).Truncate(time.Minute)
	if slot.Before(lo) || slot.After(hi) {
		res.violate(r.Start, "slot %s of %s, launched with its clock %s off: want a slot of the shifted clock, %s to %s",
			s, r, l.clock, lo.Format(time.RFC3339), hi.Format(time.RFC3339))
	}
}

// checkNotifications: every event was sent once. The notify command wrote
// each payload to a file of its own.
func (f *fleet) checkNotifications(res *result) {
	files, _ := filepath.Glob(filepath.Join(f.notifyDir, "*.json"))
	seen := map[string]string{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var ev struct {
			Job, Event, Host, Time string
			Token                  int64 `json:"fencing_token"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			res.violate(f.start, "notification %s is not JSON: %v", filepath.Base(p), err)
			continue
		}
		res.events[ev.Event]++
		key := fmt.Sprintf("%s %s on %s at %s (token %d)", ev.Event, ev.Job, ev.Host, ev.Time, ev.Token)
		if prev, ok := seen[key]; ok {
			t, _ := time.Parse(time.RFC3339Nano, ev.Time)
			res.violate(t, "notification sent twice: %s (%s and %s)", key, prev, filepath.Base(p))
		}
		seen[key] = filepath.Base(p)
	}
}

// checkRecords: every run record reached a final state. A record left
// running by a wrapper the injector SIGKILLed cannot be finished by it (a
// later run on that host replaces it; status shows it lost): listed with
// its evidence, not a violation.
func (f *fleet) checkRecords(res *result) {
	locks, _, err := f.admin.Children(path.Join(prefix, "runs"))
	if err != nil {
		res.violate(time.Now(), "list run records: %v", err)
		return
	}
	for _, lk := range locks {
		hosts, _, err := f.admin.Children(path.Join(prefix, "runs", lk))
		if err != nil {
			continue
		}
		for _, h := range hosts {
			b, _, err := f.admin.Get(path.Join(prefix, "runs", lk, h))
			if err != nil {
				continue
			}
			var rec struct {
				State string    `json:"state"`
				PID   int       `json:"pid"`
				Start time.Time `json:"start"`
			}
			if json.Unmarshal(b, &rec) != nil || rec.State == "finished" {
				continue
			}
			if l, at := f.killedWrapper(h, rec.PID); l != nil {
				res.windows = append(res.windows, finding{at, fmt.Sprintf(
					"run record %s/%s left %s: its wrapper (pid %d, run %d) was SIGKILLed at t+%s and no later run on the host replaced it",
					lk, h, rec.State, l.cmd.Process.Pid, l.seq, f.elapsed(at).Round(time.Millisecond))})
				continue
			}
			res.violate(rec.Start, "run record %s/%s still %s after quiesce (pid %d)", lk, h, rec.State, rec.PID)
		}
	}
}

// killedWrapper finds the SIGKILLed launch on host whose wrapper or child
// had pid.
func (f *fleet) killedWrapper(host string, pid int) (*launch, time.Time) {
	for l, at := range f.ev.killed {
		if l.host.name == host && (l.cmd.Process.Pid == pid || l.pid == pid) {
			return l, at
		}
	}
	return nil, time.Time{}
}

// checkZnodes: nothing left under locks/, queues/ or semaphores/ once every
// client is gone. Empty queue and lease directories are containers, which
// the servers delete within a few seconds.
func (f *fleet) checkZnodes(res *result) {
	deadline := time.Now().Add(sessionTimeout + 30*time.Second)
	var left []string
	for {
		left = left[:0]
		for _, dir := range []string{"locks", "queues", "semaphores"} {
			f.walk(path.Join(prefix, dir), 0, &left)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, p := range left {
		res.violate(time.Now(), "znode left after quiesce: %s", p)
	}
}

// walk lists the nodes below p. Under semaphores/ a resource's own node
// (semaphores/RESOURCE, one per configured resource) may stay; its leases
// may not.
func (f *fleet) walk(p string, depth int, out *[]string) {
	kids, _, err := f.admin.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return
	}
	for _, k := range kids {
		c := path.Join(p, k)
		if strings.HasPrefix(p, prefix+"/semaphores") && depth < 2 {
			f.walk(c, depth+1, out)
			continue
		}
		*out = append(*out, c)
	}
}
