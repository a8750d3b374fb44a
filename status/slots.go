package status

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/slot"
)

// Outcome is what became of a scheduled job's slot.
type Outcome string

// The outcomes of a slot, as status and the dashboard name them.
const (
	// Ran: a regular run claimed the slot (it may still be running).
	Ran Outcome = "ran"
	// CaughtUp: `switchman catch-up` ran the slot after it was missed.
	CaughtUp Outcome = "caught up"
	// Missed: nobody claimed the slot by its deadline (slot.Grace).
	Missed Outcome = "missed"
	// Due: the job's first slot is not past its deadline yet; nothing to
	// say of it.
	Due Outcome = "due"
)

// JobSlot is what status shows of one scheduled job: its last slot, what
// became of it and where, and its next slot.
type JobSlot struct {
	Lock     string
	Schedule string // the recorded spec
	// Last is the job's last slot: the newer of its newest claim and its
	// latest slot past its deadline; zero when it has none yet (Due).
	Last    time.Time
	Outcome Outcome
	// Host ran the last slot (Ran, CaughtUp), when its claim says.
	Host string
	// Next is the job's next slot after now.
	Next time.Time
	// Err is why the schedule record could not be read; the other
	// fields but Lock are then zero.
	Err error
}

// readClaims reads the newest claim of every scheduled job read.
func readClaims(s *fleet.Store, snap *Snapshot) error {
	for i := range snap.Scheduled {
		j := &snap.Scheduled[i]
		if n := len(j.Claimed); n > 0 {
			var err error
			if j.Newest, err = s.SlotClaim(j.Lock, j.Claimed[n-1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// SlotStatus returns each scheduled job's slots at now, by lock name,
// with clocks up to skew apart (the config's slot_skew).
func (snap *Snapshot) SlotStatus(now time.Time, skew time.Duration) []JobSlot {
	var out []JobSlot
	for _, j := range snap.Scheduled {
		if snap.job != "" && j.Lock != snap.job {
			continue
		}
		out = append(out, jobSlot(j, now, skew))
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Lock < out[b].Lock })
	return out
}

func jobSlot(j fleet.Scheduled, now time.Time, skew time.Duration) JobSlot {
	js := JobSlot{Lock: j.Lock}
	rec, err := slot.ParseSchedule(j.Record)
	var c slot.Compiled
	if err == nil {
		c, err = rec.Compile()
	}
	if err != nil {
		js.Err = err
		return js
	}
	now = now.In(c.Loc)
	js.Schedule, js.Next = rec.Spec, c.Sched.Next(now)
	due := dueSince(c, j, now, skew)
	if n := len(j.Claimed); n > 0 && (due.IsZero() || j.Claimed[n-1] >= slot.Name(due)) {
		js.Last, _ = slot.Parse(j.Claimed[n-1])
		js.Outcome, js.Host = Ran, ""
		var cl slot.Claim
		if json.Unmarshal(j.Newest, &cl) == nil {
			js.Host = cl.Host
			if cl.CaughtUp {
				js.Outcome = CaughtUp
			}
		}
		return js
	}
	if due.IsZero() {
		js.Outcome = Due
		return js
	}
	js.Last, js.Outcome = due.UTC(), Missed
	return js
}

// dueSince is the job's latest slot past its deadline, zero when it has
// none since it was known: since its register was made or its oldest
// claim, whichever is older (a job added today did not miss this
// morning's slot).
func dueSince(c slot.Compiled, j fleet.Scheduled, now time.Time, skew time.Duration) time.Time {
	since := j.Created
	if len(j.Claimed) > 0 {
		if first, err := slot.Parse(j.Claimed[0]); err == nil && first.Before(since) {
			since = first
		}
	}
	at := slot.LastDue(c.Sched, slot.Grace(skew, c.Standby), now)
	if at.IsZero() || at.Before(since) {
		return time.Time{}
	}
	return at
}

// DueSlots returns, for each scheduled job whose schedule record reads,
// its latest slot past its deadline at now (zero: none due since it was
// known), by lock name: `check stale` expects a success since then.
func (snap *Snapshot) DueSlots(now time.Time, skew time.Duration) map[string]time.Time {
	due := map[string]time.Time{}
	for _, j := range snap.Scheduled {
		rec, err := slot.ParseSchedule(j.Record)
		if err != nil {
			continue
		}
		c, err := rec.Compile()
		if err != nil {
			continue
		}
		due[j.Lock] = dueSince(c, j, now.In(c.Loc), skew)
	}
	return due
}

// SlotMark is one slot of a job on its timeline: when, what became of it
// (Ran, CaughtUp or Missed) and where it ran.
type SlotMark struct {
	At      time.Time `json:"at"`
	Outcome Outcome   `json:"outcome"`
	Host    string    `json:"host,omitempty"`
}

// maxMarks bounds the marks of one timeline: a minutely job over a long
// history would otherwise draw thousands of ticks nobody can tell apart.
const maxMarks = 500

// SlotMarks returns the slots of scheduled job lock from from to to (the
// span its timeline shows), oldest first, at most maxMarks (the newest):
// the claimed ones as ran or caught up (its history, read with
// Histories, tells which and where), the unclaimed ones past their
// deadline at now, since the job was known, as missed. Slots not due
// yet, and those of a job without a readable schedule record, are left
// out.
func (snap *Snapshot) SlotMarks(lock string, from, to, now time.Time, skew time.Duration) []SlotMark {
	i := slices.IndexFunc(snap.Scheduled, func(j fleet.Scheduled) bool { return j.Lock == lock })
	if i < 0 {
		return nil
	}
	j := snap.Scheduled[i]
	rec, err := slot.ParseSchedule(j.Record)
	var c slot.Compiled
	if err == nil {
		c, err = rec.Compile()
	}
	if err != nil {
		return nil
	}
	ran := map[string]fleet.PastRun{}
	for _, r := range snap.Histories[lock] {
		if !r.Slot.IsZero() {
			ran[slot.Name(r.Slot)] = r
		}
	}
	due := dueSince(c, j, now.In(c.Loc), skew)
	var marks []SlotMark
	for at := c.Sched.Next(from.In(c.Loc).Add(-time.Second)); !at.IsZero() && !at.After(to); at = c.Sched.Next(at) {
		if m, ok := mark(at, j.Claimed, ran, due); ok {
			marks = append(marks, m)
		}
	}
	return marks[max(len(marks)-maxMarks, 0):]
}

// mark is what became of the slot at: claimed (ran, or caught up as its
// run's record says), missed (unclaimed, and due: at or before the
// latest slot past its deadline, and not older than every claim kept),
// or nothing to show.
func mark(at time.Time, claimed []string, ran map[string]fleet.PastRun, due time.Time) (SlotMark, bool) {
	name := slot.Name(at)
	m := SlotMark{At: at.UTC(), Outcome: Ran}
	if _, ok := slices.BinarySearch(claimed, name); ok {
		if r, ok := ran[name]; ok {
			m.Host = r.Host
			if r.CaughtUp {
				m.Outcome = CaughtUp
			}
		}
		return m, true
	}
	// Older than every claim kept: it may have been claimed and pruned.
	if due.IsZero() || at.After(due) || len(claimed) > 0 && name < claimed[0] {
		return SlotMark{}, false
	}
	m.Outcome = Missed
	return m, true
}
