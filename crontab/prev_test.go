package crontab

import "testing"

// TestSchedulePrev checks Prev against firing times worked out by hand,
// and against Next: the firing time before Next(t) is at or before t.
func TestSchedulePrev(t *testing.T) {
	t.Parallel()
	const layout = "2006-01-02 15:04 MST"
	tests := []struct {
		name, spec, zone, at string
		want                 string // "" for none
	}{
		{name: "every minute", spec: "* * * * *", zone: "UTC", at: "2026-01-01 00:00:30", want: "2026-01-01 00:00 UTC"},
		{name: "at a firing time itself", spec: "0 * * * *", zone: "UTC", at: "2026-01-01 05:00:00", want: "2026-01-01 05:00 UTC"},
		{name: "a second before", spec: "0 * * * *", zone: "UTC", at: "2026-01-01 04:59:59", want: "2026-01-01 04:00 UTC"},
		{name: "daily, later that day", spec: "30 3 * * *", zone: "UTC", at: "2026-06-10 14:00:00", want: "2026-06-10 03:30 UTC"},
		{name: "daily, before its time", spec: "30 3 * * *", zone: "UTC", at: "2026-06-10 03:29:59", want: "2026-06-09 03:30 UTC"},
		{name: "step from range start", spec: "10-30/15 * * * *", zone: "UTC", at: "2026-01-01 01:05:00", want: "2026-01-01 00:25 UTC"},
		{name: "dom and dow ORed", spec: "0 0 1 * mon", zone: "UTC", at: "2026-06-05 00:00:00", want: "2026-06-01 00:00 UTC"},
		{name: "year boundary", spec: "0 12 * jan-feb sat,sun", zone: "UTC", at: "2026-06-01 00:00:00", want: "2026-02-28 12:00 UTC"},
		{name: "29 February over a century", spec: "0 0 29 2 *", zone: "UTC", at: "2104-02-28 00:00:00", want: "2096-02-29 00:00 UTC"},
		{name: "spring gap skipped", spec: "30 2 * * *", zone: "Europe/Berlin", at: "2026-03-29 12:00:00", want: "2026-03-28 02:30 CET"},
		{name: "repeated hour: its first occurrence", spec: "45 1 * * *", zone: "America/New_York", at: "2026-11-01 01:10:00 EST",
			want: "2026-11-01 01:45 EDT"},
		{name: "repeated hour: not yet", spec: "45 1 * * *", zone: "America/New_York", at: "2026-11-01 01:10:00 EDT",
			want: "2026-10-31 01:45 EDT"},
		{name: "reboot never", spec: "@reboot", zone: "UTC", at: "2026-01-01 00:00:00"},
		{name: "30 February never", spec: "0 0 30 2 *", zone: "UTC", at: "2026-01-01 00:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, at := compileAt(t, tt.spec, tt.zone, tt.at)
			got := s.Prev(at)
			if tt.want == "" {
				if !got.IsZero() {
					t.Fatalf("Prev(%s) = %s, want none", at, got)
				}
				return
			}
			if got.Format(layout) != tt.want {
				t.Fatalf("Prev(%s) = %s, want %s", at, got.Format(layout), tt.want)
			}
			if n := s.Next(got); !n.After(at) {
				t.Errorf("Next(Prev(t)) = %s, not after t = %s: Prev is not the latest", n, at)
			}
			if p := s.Prev(got); !p.Equal(got) {
				t.Errorf("Prev of a firing time %s = %s, want itself", got, p)
			}
		})
	}
}
