package status

import (
	"time"

	"github.com/acme/switchman/slot"
)

// Missed returns, for the scheduled jobs read (Slots), the last due slot
// of each job that ran nowhere at now (slot.Schedule.Late), by lock name,
// and the jobs whose schedule record could not be read, with why. skew is
// the config's slot_skew.
func (snap *Snapshot) Missed(now time.Time, skew time.Duration) (late map[string]time.Time, bad map[string]error) {
	late, bad = map[string]time.Time{}, map[string]error{}
	for _, j := range snap.Scheduled {
		s, err := slot.ParseSchedule(j.Record)
		var at time.Time
		if err == nil {
			at, err = s.Late(j.Claimed, j.Created, now, skew)
		}
		switch {
		case err != nil:
			bad[j.Lock] = err
		case !at.IsZero():
			late[j.Lock] = at
		}
	}
	return late, bad
}
