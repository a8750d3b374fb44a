package crontab

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load time zone %s: %v", name, err)
	}
	return loc
}

// TestScheduleNext checks Next against firing times worked out by hand
// from cron's rules, in UTC and across daylight-saving changes.
func TestScheduleNext(t *testing.T) {
	t.Parallel()
	const layout = "2006-01-02 15:04 MST"
	tests := []struct {
		name, spec, zone, from string
		want                   []string // successive firing times
	}{
		{name: "every minute", spec: "* * * * *", zone: "UTC", from: "2026-01-01 00:00:30",
			want: []string{"2026-01-01 00:01 UTC", "2026-01-01 00:02 UTC"}},
		{name: "strictly after a match", spec: "0 * * * *", zone: "UTC", from: "2026-01-01 05:00:00",
			want: []string{"2026-01-01 06:00 UTC"}},
		{name: "step counts from the range start", spec: "10-30/15 * * * *", zone: "UTC", from: "2026-01-01 00:00:00",
			want: []string{"2026-01-01 00:10 UTC", "2026-01-01 00:25 UTC", "2026-01-01 01:10 UTC"}},
		{name: "dom and dow ORed", spec: "0 0 1 * mon", zone: "UTC", from: "2026-05-30 00:00:00",
			want: []string{"2026-06-01 00:00 UTC", "2026-06-08 00:00 UTC", "2026-06-15 00:00 UTC", "2026-06-22 00:00 UTC", "2026-06-29 00:00 UTC", "2026-07-01 00:00 UTC", "2026-07-06 00:00 UTC"}},
		{name: "star step in dom ANDs", spec: "0 0 */2 * mon", zone: "UTC", from: "2026-06-01 00:00:00",
			want: []string{"2026-06-15 00:00 UTC", "2026-06-29 00:00 UTC", "2026-07-13 00:00 UTC"}},
		{name: "sunday as 7", spec: "0 0 * * 7", zone: "UTC", from: "2026-06-01 00:00:00",
			want: []string{"2026-06-07 00:00 UTC", "2026-06-14 00:00 UTC"}},
		{name: "names and range", spec: "0 12 * jan-feb sat,sun", zone: "UTC", from: "2026-02-27 00:00:00",
			want: []string{"2026-02-28 12:00 UTC", "2027-01-02 12:00 UTC"}},
		{name: "31st skips short months", spec: "0 0 31 * *", zone: "UTC", from: "2026-01-31 00:00:00",
			want: []string{"2026-03-31 00:00 UTC", "2026-05-31 00:00 UTC"}},
		{name: "29 February over a century", spec: "0 0 29 2 *", zone: "UTC", from: "2096-03-01 00:00:00",
			want: []string{"2104-02-29 00:00 UTC"}},
		{name: "weekly keyword", spec: "@weekly", zone: "UTC", from: "2026-06-01 00:00:00",
			want: []string{"2026-06-07 00:00 UTC"}},
		{name: "spring gap skipped", spec: "30 2 * * *", zone: "Europe/Berlin", from: "2026-03-28 12:00:00",
			want: []string{"2026-03-30 02:30 CEST"}},
		{name: "autumn repeat fires once", spec: "*/30 1 * * *", zone: "America/New_York", from: "2026-11-01 00:00:00",
			want: []string{"2026-11-01 01:00 EDT", "2026-11-01 01:30 EDT", "2026-11-02 01:00 EST"}},
		{name: "from inside the repeated hour", spec: "45 1 * * *", zone: "America/New_York", from: "2026-11-01 01:50:00 EST",
			want: []string{"2026-11-02 01:45 EST"}},
		{name: "half-hour daylight saving", spec: "45 1 * * *", zone: "Australia/Lord_Howe", from: "2026-04-04 12:00:00",
			want: []string{"2026-04-05 01:45 +11", "2026-04-06 01:45 +1030"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, at := compileAt(t, tt.spec, tt.zone, tt.from)
			for _, w := range tt.want {
				at = s.Next(at)
				if got := at.Format(layout); got != w {
					t.Fatalf("%q: next = %s, want %s", tt.spec, got, w)
				}
			}
		})
	}
}

// compileAt compiles spec and reads at in zone, as parseFrom does.
func compileAt(t *testing.T, spec, zone, at string) (*Schedule, time.Time) {
	t.Helper()
	s, err := Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s, parseFrom(t, at, mustLoad(t, zone))
}

// parseFrom reads "2006-01-02 15:04:05" in loc, or with a zone
// abbreviation appended, at the instant that abbreviation names (for the
// second of two equal wall-clock times).
func parseFrom(t *testing.T, s string, loc *time.Location) time.Time {
	t.Helper()
	if at, err := time.ParseInLocation("2006-01-02 15:04:05 MST", s, loc); err == nil {
		return at
	}
	at, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestScheduleNeverFires(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"0 0 30 2 *", "0 0 31 4,6 *", "@reboot"} {
		s, err := Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !got.IsZero() {
			t.Errorf("%q: Next = %v, want the zero time", spec, got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	if _, err := Compile("0 0 * * 8"); err == nil {
		t.Fatal("Compile accepted day of week 8")
	}
	s, err := Compile(" @daily ")
	if err != nil || s.String() != "@daily" || s.Reboot() {
		t.Fatalf("Compile(@daily) = %v, %v", s, err)
	}
	if s, _ := Compile("@reboot"); !s.Reboot() {
		t.Fatal("@reboot: Reboot() = false")
	}
}
