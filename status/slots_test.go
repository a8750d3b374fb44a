package status

import (
	"slices"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
)

// The slot tests' fleet: registers made on December 1st, read at 09:00
// on the 6th; daily is a schedule record of 03:30 every day.
var (
	created = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	now     = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	daily   = []byte(`{"schedule":"30 3 * * *","zone":"UTC"}`)
)

func TestSlotStatus(t *testing.T) {
	t.Parallel()
	hourly := []byte(`{"schedule":"0 * * * *","zone":"UTC"}`)
	slot := func(h int) time.Time { return time.Date(2026, 12, 6, h, 30, 0, 0, time.UTC) }
	next := time.Date(2026, 12, 7, 3, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		job  fleet.Scheduled
		skew time.Duration
		want JobSlot
	}{
		{"ran where its claim says", fleet.Scheduled{Record: daily, Created: created, Claimed: []string{"20261205T033000Z", "20261206T033000Z"},
			Newest: []byte(`{"host":"h1","start":"2026-12-06T03:30:01Z"}`)}, time.Minute,
			JobSlot{Schedule: "30 3 * * *", Last: slot(3), Outcome: Ran, Host: "h1", Next: next}},
		{"caught up", fleet.Scheduled{Record: daily, Created: created, Claimed: []string{"20261206T033000Z"},
			Newest: []byte(`{"host":"h2","start":"2026-12-06T05:02:00Z","caught_up":true}`)}, time.Minute,
			JobSlot{Schedule: "30 3 * * *", Last: slot(3), Outcome: CaughtUp, Host: "h2", Next: next}},
		{"missed: the last due slot unclaimed", fleet.Scheduled{Record: daily, Created: created, Claimed: []string{"20261205T033000Z"}}, time.Minute,
			JobSlot{Schedule: "30 3 * * *", Last: slot(3), Outcome: Missed, Next: next}},
		{"a slot not past its deadline shows the one before", fleet.Scheduled{Record: hourly, Created: created, Claimed: []string{"20261206T080000Z"}},
			2 * time.Minute, JobSlot{Schedule: "0 * * * *", Last: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC), Outcome: Ran,
				Next: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}},
		{"the current slot claimed already", fleet.Scheduled{Record: hourly, Created: created, Claimed: []string{"20261206T090000Z"}},
			time.Minute, JobSlot{Schedule: "0 * * * *", Last: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), Outcome: Ran,
				Next: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}},
		{"new job, nothing due yet", fleet.Scheduled{Record: daily, Created: now.Add(-time.Hour)}, time.Minute,
			JobSlot{Schedule: "30 3 * * *", Outcome: Due, Next: next}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.job.Lock, tt.want.Lock = "j", "j"
			got := (&Snapshot{Scheduled: []fleet.Scheduled{tt.job}}).SlotStatus(now, tt.skew)
			if len(got) != 1 || got[0].Err != nil || !got[0].Last.Equal(tt.want.Last) || !got[0].Next.Equal(tt.want.Next) ||
				got[0].Outcome != tt.want.Outcome || got[0].Host != tt.want.Host || got[0].Schedule != tt.want.Schedule {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	bad := (&Snapshot{Scheduled: []fleet.Scheduled{{Lock: "odd", Record: []byte(`{"schedule":"61 * * * *"}`)}}}).SlotStatus(now, time.Minute)
	if len(bad) != 1 || bad[0].Err == nil {
		t.Errorf("a bad record: %+v, want its error", bad)
	}
	due := (&Snapshot{Scheduled: []fleet.Scheduled{{Lock: "d", Record: daily, Created: created}, {Lock: "n", Record: daily, Created: now}}}).DueSlots(now, time.Minute)
	if len(due) != 2 || !due["d"].Equal(slot(3)) || !due["n"].IsZero() {
		t.Errorf("DueSlots %v, want d at 03:30 and n with none", due)
	}
}

func TestSlotMarks(t *testing.T) {
	t.Parallel()
	at := func(m int) time.Time { return time.Date(2026, 12, 6, 9, m, 0, 0, time.UTC) }
	now := at(10).Add(30 * time.Second)
	snap := &Snapshot{
		Scheduled: []fleet.Scheduled{{Lock: "j", Record: []byte(`{"schedule":"*/2 * * * *","zone":"UTC"}`), Created: at(0),
			Claimed: []string{"20261206T090200Z", "20261206T090600Z", "20261206T091000Z"}}},
		Histories: map[string][]fleet.PastRun{"j": {
			{Host: "h1", Start: at(2), Slot: at(2)},
			{Host: "h2", Start: at(7), Slot: at(6), CaughtUp: true},
		}},
	}
	var got []string
	for _, m := range snap.SlotMarks("j", at(0), now, now, time.Minute) {
		got = append(got, m.At.Format("04")+" "+string(m.Outcome)+" "+m.Host)
	}
	// 09:00 is older than every claim kept: maybe pruned, not shown;
	// 09:10 is claimed, its run not in the history yet.
	want := []string{"02 ran h1", "04 missed ", "06 caught up h2", "08 missed ", "10 ran "}
	if !slices.Equal(got, want) {
		t.Errorf("marks %q, want %q", got, want)
	}
	if m := snap.SlotMarks("other", at(0), now, now, time.Minute); m != nil {
		t.Errorf("marks of an unscheduled job: %v", m)
	}
}
