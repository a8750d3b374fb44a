package slot

import (
	"fmt"
	"time"

	"github.com/acme/switchman/crontab"
)

// standbyRoom is how many standby turns a slot's deadline leaves room
// for: a group's hosts each wait --standby longer than the one before,
// and a slot is not missed while a standby may still take it. Groups of
// more hosts than this are rare; their last standbys may meet a
// catch-up, which the claim then settles (one of them runs).
const standbyRoom = 10

// DefaultSkew is how far apart hosts' clocks, and a loaded cron's firing,
// may be when the config says nothing (config.DefaultSlotSkew): a slot is
// not missed before this much after it.
const DefaultSkew = time.Minute

// Grace is how long after a slot a regular run may still claim it, with
// clocks up to skew apart (DefaultSkew when not positive) and --standby
// d: the skew, and room for a standby chain (standbyRoom turns of d). A
// slot unclaimed past it is missed.
func Grace(skew, standby time.Duration) time.Duration {
	if skew <= 0 {
		skew = DefaultSkew
	}
	return skew + standbyRoom*max(standby, 0)
}

// LastDue returns the latest slot of sched whose deadline (the slot plus
// grace) is at or before now, or the zero Time when it never fires.
func LastDue(sched *crontab.Schedule, grace time.Duration, now time.Time) time.Time {
	return sched.Prev(now.Add(-grace))
}

// Missed returns the slot a catch-up at now runs: the latest slot past
// its deadline (LastDue), when it lies within window before now, nobody
// claimed it or any later slot (claimed, sorted), and it is not Stale
// with keep claims kept. Only that one: the slots missed before it are
// never run, so an outage of many periods costs one run, not a backlog.
// ok is false when there is nothing to run.
func Missed(sched *crontab.Schedule, window, grace time.Duration, claimed []string, keep int, now time.Time) (at time.Time, ok bool) {
	at = LastDue(sched, grace, now)
	if at.IsZero() || window <= 0 || at.Before(now.Add(-window)) {
		return time.Time{}, false
	}
	name := Name(at)
	if n := len(claimed); n > 0 && claimed[n-1] >= name {
		return time.Time{}, false // this slot or a later one ran
	}
	if Decide(claimed, name, keep) != Free {
		return time.Time{}, false
	}
	return at, true
}

// Late reports the latest slot of sched past its deadline at now that
// nobody claimed, nor any later one (claimed, sorted), for `check missed`: the job's last
// due run did not happen. Slots older than since (the register's
// creation, when the schedule was first recorded) and than its oldest
// claim are not the job's: a job added today did not miss this morning's
// slot. A zero at means nothing is missed.
func Late(sched *crontab.Schedule, grace time.Duration, claimed []string, since, now time.Time) (at time.Time) {
	if len(claimed) > 0 {
		if first, err := Parse(claimed[0]); err == nil && first.Before(since) {
			since = first
		}
	}
	at = LastDue(sched, grace, now)
	if at.IsZero() || at.Before(since) {
		return time.Time{}
	}
	if n := len(claimed); n > 0 && claimed[n-1] >= Name(at) {
		return time.Time{} // this slot or a later one ran
	}
	return at
}

// Late is the package's Late for the job whose schedule s records: its
// spec read in its zone, with the grace of skew and its standby delay. It
// fails when the record names a schedule, zone or delay that does not
// parse.
func (s Schedule) Late(claimed []string, since, now time.Time, skew time.Duration) (time.Time, error) {
	c, err := s.Compile()
	if err != nil {
		return time.Time{}, err
	}
	return Late(c.Sched, Grace(skew, c.Standby), claimed, since, now.In(c.Loc)), nil
}

// Compiled is a schedule record made ready to work out slots with.
type Compiled struct {
	Sched   *crontab.Schedule
	Loc     *time.Location // the zone its times are read in
	Standby time.Duration
}

// Compile parses the record's spec, zone and standby delay. It fails when
// one of them does not parse.
func (s Schedule) Compile() (Compiled, error) {
	sched, err := crontab.Compile(s.Spec)
	if err != nil {
		return Compiled{}, fmt.Errorf("schedule record: %w", err)
	}
	c := Compiled{Sched: sched, Loc: time.Local} // "Local": the recording host's zone was unknown
	if s.Zone != "" && s.Zone != "Local" {
		if c.Loc, err = time.LoadLocation(s.Zone); err != nil {
			return Compiled{}, fmt.Errorf("schedule record: zone: %w", err)
		}
	}
	if s.Standby != "" {
		if c.Standby, err = time.ParseDuration(s.Standby); err != nil {
			return Compiled{}, fmt.Errorf("schedule record: standby: %w", err)
		}
	}
	return c, nil
}
