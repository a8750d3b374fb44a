// Package slot names the scheduled runs of a job, its slots, and decides
// from what ZooKeeper holds whether a run may claim its slot, how long a
// standby host waits before it tries, and which old claims to forget.
//
// The rule. cron starts a line at each firing time of its schedule, on
// the host's wall clock in the cron daemon's time zone (the host's local
// zone). A run given that schedule (--schedule) takes as its slot the
// latest firing time at or before its own start, read on the same clock
// (Of). So:
//
//   - A slot is named by the scheduled time, not by when a host fired it
//     (Name: its UTC instant). Hosts whose clocks disagree, or whose cron
//     fired late (a loaded box, a stopped then resumed daemon), still name
//     the same slot for the same firing, as long as they start within one
//     period of it: a host 30 s slow fires the 12:00 slot at 12:00:30 true
//     time, finds it claimed, and skips. Skew between hosts therefore
//     never makes one slot two; it only moves which host comes first.
//   - A run that starts more than one period late takes the later slot;
//     the earlier one stays unclaimed, which catch-up and `check missed`
//     look for.
//   - A slot is claimed once, fleet-wide, in the same ZooKeeper multi that
//     takes the job's lock; a claimed slot, running or finished, is never
//     run again (Decide says Claimed).
//   - The claims kept are bounded (the last keep per job, Prune). A slot
//     older than every claim kept, when keep claims are kept, is Stale and
//     never runs: it may be one that was claimed and forgotten.
package slot

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/acme/switchman/crontab"
)

// Of returns the slot of a run that starts at now under sched: the latest
// firing time at or before now, on the wall clock of now's Location
// (time.Local is the cron daemon's). The zero Time means the schedule
// never fires (@reboot): such a run has no slot.
func Of(sched *crontab.Schedule, now time.Time) time.Time {
	return sched.Prev(now)
}

// nameLayout is a slot's name: its UTC instant to the second, which sorts
// as time does and is a valid znode name.
const nameLayout = "20060102T150405Z"

// Name returns the name of the slot at t, e.g. "20261206T180000Z".
func Name(t time.Time) string { return t.UTC().Format(nameLayout) }

// Parse reads a slot's name back into its instant (UTC).
func Parse(name string) (time.Time, error) {
	t, err := time.Parse(nameLayout, name)
	if err != nil {
		return time.Time{}, fmt.Errorf("slot name %q: want YYYYMMDDTHHMMSSZ", name)
	}
	return t, nil
}

// Verdict is what the claims kept say of a run's slot.
type Verdict int

const (
	// Free: nobody claimed the slot; the run may claim it.
	Free Verdict = iota
	// Claimed: a run claimed the slot already; this one must not run.
	Claimed
	// Stale: the slot is older than every claim kept while keep claims
	// are kept, so it may have been claimed and forgotten; it must not
	// run.
	Stale
)

// String names v as log lines do.
func (v Verdict) String() string {
	switch v {
	case Claimed:
		return "claimed"
	case Stale:
		return "stale"
	}
	return "free"
}

// Decide returns the verdict on the slot named name, given the names of
// the claimed slots (sorted, as Sort leaves them) and how many are kept.
func Decide(claimed []string, name string, keep int) Verdict {
	if _, found := slices.BinarySearch(claimed, name); found {
		return Claimed
	}
	if len(claimed) >= keep && len(claimed) > 0 && name < claimed[0] {
		return Stale
	}
	return Free
}

// Prune returns the oldest claims to forget so that, with one more, at
// most keep remain: the ones a winning run deletes in the multi that
// claims its slot. claimed is sorted; so is the result.
func Prune(claimed []string, keep int) []string {
	if keep < 1 {
		keep = 1
	}
	n := len(claimed) + 1 - keep
	if n <= 0 {
		return nil
	}
	return claimed[:n]
}

// Sort sorts slot names in time order, which is their byte order.
func Sort(names []string) { slices.Sort(names) }

// StandbyWait returns how long the host at rank (0: the primary, 1: the
// first standby, ...) waits from now before it tries the slot at slot:
// until rank×d after the slot, and not at all once that has passed (a run
// that started late).
func StandbyWait(slot time.Time, rank int, d time.Duration, now time.Time) time.Duration {
	if rank <= 0 || d <= 0 {
		return 0
	}
	return max(slot.Add(time.Duration(rank)*d).Sub(now), 0)
}

// Schedule is what the job's slot register records of its schedule, so
// that commands that run nowhere near the job (`check missed`, `status`,
// catch-up) can work out its slots: the spec, the zone its times are
// read in, and the standby delay.
type Schedule struct {
	Spec    string `json:"schedule"`
	Zone    string `json:"zone"`
	Standby string `json:"standby,omitempty"`
}

// NewSchedule returns the record of sched read in zone (LocalZone's
// name), with the standby delay when there is one.
func NewSchedule(sched *crontab.Schedule, zone string, standby time.Duration) Schedule {
	s := Schedule{Spec: sched.String(), Zone: zone}
	if standby > 0 {
		s.Standby = standby.String()
	}
	return s
}

// Marshal encodes s as the register stores it.
func (s Schedule) Marshal() []byte {
	b, _ := json.Marshal(s) // three strings cannot fail
	return b
}

// ParseSchedule reads a register's schedule record.
func ParseSchedule(b []byte) (Schedule, error) {
	var s Schedule
	if err := json.Unmarshal(b, &s); err != nil {
		return Schedule{}, fmt.Errorf("schedule record: %w", err)
	}
	if s.Spec == "" {
		return Schedule{}, errors.New("schedule record: no schedule")
	}
	return s, nil
}

// Same reports whether b, a register's data, records s already: a run
// rewrites the record only when it changed.
func (s Schedule) Same(b []byte) bool {
	var old Schedule
	return json.Unmarshal(b, &old) == nil && old == s
}

// Claim is what a claimed slot's node says: who ran it, and when, and
// whether a catch-up ran it after it was missed.
type Claim struct {
	Host     string    `json:"host"`
	Start    time.Time `json:"start"`
	CaughtUp bool      `json:"caught_up,omitempty"`
}

// Marshal encodes c as the slot's node stores it.
func (c Claim) Marshal() []byte {
	b, _ := json.Marshal(c)
	return b
}

// LocalZone names the zone time.Local stands for, as a name that
// time.LoadLocation reads back on another host: $TZ when set (without a
// leading colon), else the zone /etc/localtime links to, else
// /etc/timezone's, else "Local" (unknown). The register records it so
// that a command on another host reads the schedule in this one's zone.
func LocalZone(getenv func(string) string) string {
	if tz := strings.TrimPrefix(getenv("TZ"), ":"); tz != "" {
		return tz
	}
	if dest, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(dest, "/zoneinfo/"); ok {
			return name
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" {
			return name
		}
	}
	return "Local"
}
