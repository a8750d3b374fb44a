package status

import (
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
)

func TestMissed(t *testing.T) {
	t.Parallel()
	snap := &Snapshot{Scheduled: []fleet.Scheduled{
		{Lock: "ran", Record: daily, Created: created, Claimed: []string{"20261206T033000Z"}},
		{Lock: "missed", Record: daily, Created: created, Claimed: []string{"20261205T033000Z"}},
		{Lock: "new", Record: daily, Created: now.Add(-time.Hour)},
		{Lock: "odd", Record: []byte(`{"schedule":"30 3 * * *","zone":"Nowhere/Else"}`), Created: created},
	}}
	late, bad := snap.Missed(now, time.Minute)
	if len(late) != 1 || !late["missed"].Equal(time.Date(2026, 12, 6, 3, 30, 0, 0, time.UTC)) {
		t.Errorf("late %v, want only missed at 03:30", late)
	}
	if len(bad) != 1 || bad["odd"] == nil {
		t.Errorf("bad %v, want only odd", bad)
	}
	// With a skew longer than the time since the slot, it is not missed
	// yet: a late host may still claim it.
	if late, _ := snap.Missed(now, 6*time.Hour); len(late) != 0 {
		t.Errorf("with 6h of skew: late %v, want none", late)
	}
}
