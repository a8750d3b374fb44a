package slot

import (
	"testing"
	"time"

	"github.com/acme/switchman/crontab"
)

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.DateTime, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGrace(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		skew, standby time.Duration
		want          time.Duration
	}{
		{"no standby: the skew", 0, 0, time.Minute},
		{"standby 30s: ten turns more", 0, 30 * time.Second, 6 * time.Minute},
		{"negative is none", 0, -time.Second, time.Minute},
		{"a configured skew", 90 * time.Second, 0, 90 * time.Second},
		{"a configured skew and standby", 5 * time.Second, time.Second, 15 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Grace(tt.skew, tt.standby); got != tt.want {
				t.Fatalf("Grace(%s, %s) = %s, want %s", tt.skew, tt.standby, got, tt.want)
			}
		})
	}
}

func TestMissed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, spec string
		window     time.Duration
		claimed    []string
		keep       int
		now        string
		want       string // Name of the slot to run; "" for none
	}{
		{"daily slot missed this morning: run it", "30 3 * * *", 26 * time.Hour, []string{"20261205T033000Z"}, 100,
			"2026-12-06 09:00:00", "20261206T033000Z"},
		{"three days missed: only the latest", "30 3 * * *", 96 * time.Hour, []string{"20261202T033000Z"}, 100,
			"2026-12-06 09:00:00", "20261206T033000Z"},
		{"job that never ran", "30 3 * * *", 26 * time.Hour, nil, 100, "2026-12-06 09:00:00", "20261206T033000Z"},
		{"slot ran: nothing", "30 3 * * *", 26 * time.Hour, []string{"20261206T033000Z"}, 100, "2026-12-06 09:00:00", ""},
		{"a later slot ran: nothing", "*/5 * * * *", time.Hour, []string{"20261206T085500Z"}, 100, "2026-12-06 08:56:30", ""},
		{"outside the window: nothing", "30 3 * * *", 2 * time.Hour, []string{"20261205T033000Z"}, 100, "2026-12-06 09:00:00", ""},
		{"before its deadline: the slot before", "*/5 * * * *", time.Hour, []string{"20261206T084500Z"}, 100,
			"2026-12-06 08:55:30", "20261206T085000Z"},
		{"latest due slot just past its deadline", "*/5 * * * *", time.Hour, []string{"20261206T084500Z"}, 100,
			"2026-12-06 08:56:00", "20261206T085500Z"},
		{"stale with all claims kept: nothing", "30 3 * * *", 96 * time.Hour, []string{"20261207T033000Z"}, 1,
			"2026-12-06 09:00:00", ""},
		{"no window: nothing", "30 3 * * *", 0, nil, 100, "2026-12-06 09:00:00", ""},
		{"@reboot has no slot", "@reboot", time.Hour, nil, 100, "2026-12-06 09:00:00", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := crontab.Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			at, ok := Missed(sched, tt.window, Grace(0, 0), tt.claimed, tt.keep, utc(t, tt.now))
			switch {
			case tt.want == "" && ok:
				t.Fatalf("Missed = %s, want none", Name(at))
			case tt.want != "" && (!ok || Name(at) != tt.want):
				t.Fatalf("Missed = %s, %v; want %s", Name(at), ok, tt.want)
			}
		})
	}
}

func TestLate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, spec string
		claimed    []string
		since, now string
		want       string // "" for nothing missed
	}{
		{"daily slot missed", "30 3 * * *", []string{"20261205T033000Z"}, "2026-12-01 00:00:00", "2026-12-06 09:00:00", "20261206T033000Z"},
		{"caught up", "30 3 * * *", []string{"20261205T033000Z", "20261206T033000Z"}, "2026-12-01 00:00:00", "2026-12-06 09:00:00", ""},
		{"not yet past its deadline", "30 3 * * *", []string{"20261205T033000Z"}, "2026-12-01 00:00:00", "2026-12-06 03:30:30", ""},
		{"recorded after the slot: not the job's", "30 3 * * *", nil, "2026-12-06 05:00:00", "2026-12-06 09:00:00", ""},
		{"recorded after the slot, claims older: the job's", "30 3 * * *", []string{"20261204T033000Z"}, "2026-12-06 05:00:00", "2026-12-06 09:00:00", "20261206T033000Z"},
		{"never ran since recorded", "30 3 * * *", nil, "2026-12-05 05:00:00", "2026-12-06 09:00:00", "20261206T033000Z"},
		{"a later slot ran early", "*/5 * * * *", []string{"20261206T090000Z"}, "2026-12-01 00:00:00", "2026-12-06 09:00:30", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := crontab.Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			at := Late(sched, Grace(0, 0), tt.claimed, utc(t, tt.since), utc(t, tt.now))
			got := ""
			if !at.IsZero() {
				got = Name(at)
			}
			if got != tt.want {
				t.Fatalf("Late = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScheduleLate(t *testing.T) {
	t.Parallel()
	since, now := utc(t, "2026-12-01 00:00:00"), utc(t, "2026-12-06 09:00:00")
	for _, tt := range []struct {
		name    string
		rec     string
		claimed []string
		want    string // "" for nothing missed
		wantErr bool
	}{
		{"missed in UTC", `{"schedule":"30 3 * * *","zone":"UTC"}`, nil, "20261206T033000Z", false},
		{"read in the recorded zone", `{"schedule":"30 3 * * *","zone":"Europe/Paris"}`, nil, "20261206T023000Z", false},
		{"ran", `{"schedule":"30 3 * * *","zone":"UTC"}`, []string{"20261206T033000Z"}, "", false},
		{"standby widens the deadline", `{"schedule":"55 8 * * *","zone":"UTC","standby":"1m"}`, nil, "20261205T085500Z", false},
		{"bad schedule", `{"schedule":"61 3 * * *","zone":"UTC"}`, nil, "", true},
		{"bad zone", `{"schedule":"30 3 * * *","zone":"Nowhere/Else"}`, nil, "", true},
		{"bad standby", `{"schedule":"30 3 * * *","zone":"UTC","standby":"soon"}`, nil, "", true},
		{"no schedule", `{}`, nil, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule([]byte(tt.rec))
			var at time.Time
			if err == nil {
				at, err = s.Late(tt.claimed, since, now, 0)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			got := ""
			if !at.IsZero() {
				got = Name(at)
			}
			if got != tt.want {
				t.Fatalf("Late = %q, want %q", got, tt.want)
			}
		})
	}
}
