package crontab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/testenv"
)

func TestOnCalendar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, want, err string
	}{
		{name: "every minute", spec: "* * * * *", want: "*-*-* *:*:00"},
		{name: "minute step", spec: "*/15 * * * *", want: "*-*-* *:00/15:00"},
		{name: "two values stay a list", spec: "0,30 * * * *", want: "*-*-* *:00,30:00"},
		{name: "step not reaching the end", spec: "0-30/10 * * * *", want: "*-*-* *:00,10,20,30:00"},
		{name: "runs", spec: "1-5,10,11,58 * * * *", want: "*-*-* *:01..05,10,11,58:00"},
		{name: "weekdays", spec: "*/15 9-17 * * mon-fri", want: "Mon..Fri *-*-* 09..17:00/15:00"},
		{name: "weekend wraps to Sunday", spec: "0 0 * * 5-7", want: "Fri..Sun *-*-* 00:00:00"},
		{name: "sunday as 0 and 7", spec: "0 0 * * 0,7", want: "Sun *-*-* 00:00:00"},
		{name: "month names and step", spec: "0 0 1 jan-dec/3 *", want: "*-01/3-01 00:00:00"},
		{name: "months without a progression", spec: "0 0 1 1,2,6 *", want: "*-01,02,06-01 00:00:00"},
		{name: "odd days", spec: "0 0 */2 * *", want: "*-*-01/2 00:00:00"},
		{name: "star dom ANDs with dow", spec: "0 0 */2 * mon", want: "Mon *-*-01/2 00:00:00"},
		{name: "star dow ANDs with dom", spec: "0 0 1 * */7", want: "Sun *-*-01 00:00:00"},
		{name: "full dom under OR", spec: "0 0 1-31 * mon", want: "*-*-* 00:00:00"},
		{name: "full dow under OR", spec: "0 0 13 * 0-7", want: "*-*-* 00:00:00"},
		{name: "yearly", spec: "@yearly", want: "*-01-01 00:00:00"},
		{name: "monthly", spec: "@monthly", want: "*-*-01 00:00:00"},
		{name: "weekly", spec: "@weekly", want: "Sun *-*-* 00:00:00"},
		{name: "daily", spec: "@daily", want: "*-*-* 00:00:00"},
		{name: "hourly", spec: "@hourly", want: "*-*-* *:00:00"},
		{name: "dom and dow", spec: "0 0 1 * mon", err: "day of month and day of week are both restricted"},
		{name: "dom list and dow range", spec: "0 0 1,15 * 1-5", err: "day of month and day of week are both restricted"},
		{name: "reboot", spec: "@reboot", err: "@reboot runs when cron starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.OnCalendar()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrNoCalendar) {
					t.Fatalf("OnCalendar(%q) = %q, %v; want an ErrNoCalendar error containing %q", tt.spec, got, err, tt.err)
				}
				testenv.OneLine(t, err)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("OnCalendar(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
			}
		})
	}
}

// calendarCases are schedules whose firing times TestOnCalendarMatchesSystemd
// compares with systemd's: ranges, steps, lists, names, keywords, dates that
// some months lack, and daylight-saving changes in zones that move by an
// hour (Berlin, New York, London) and by half an hour (Lord Howe Island).
var calendarCases = []struct {
	spec, zone, base string
	n                int // iterations; 0 is 50
}{
	{spec: "* * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "*/5 * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "*/7 * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "30 4 * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "15,45 */2 * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 9-17 * * mon-fri", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "*/15 9-17 * * 1-5", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1 * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 31 * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 12 29 2 *", zone: "UTC", base: "2026-01-01 00:00", n: 20},
	{spec: "0 0 * * 0", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 * * 7", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 * * 5-7", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 * * sat,sun", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 12 * jan-jun *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1 jan-dec/3 *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1 */4 *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "5 4 * * sun", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "23 0-23/2 * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "10-30/15 * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1,15 * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1-7 * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 */2 * mon", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1 * */7", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 1-31 * mon", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 13 * 0-6", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0 * feb mon", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 3 * * mon,wed,fri", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "59 23 31 12 *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "0 0,12 1 */2 *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "1-5,10-12,58 * * * *", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "@yearly", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "@annually", zone: "Europe/Berlin", base: "2026-06-01 00:00"},
	{spec: "@monthly", zone: "UTC", base: "2026-01-01 00:00"},
	{spec: "@weekly", zone: "America/New_York", base: "2026-01-01 00:00"},
	{spec: "@daily", zone: "Europe/Berlin", base: "2026-03-01 00:00"},
	{spec: "@midnight", zone: "America/New_York", base: "2026-10-01 00:00"},
	{spec: "@hourly", zone: "Europe/London", base: "2026-03-28 12:00"},
	{spec: "30 2 * * *", zone: "Europe/Berlin", base: "2026-03-27 00:00"},
	{spec: "30 2 * * *", zone: "Europe/Berlin", base: "2026-10-23 00:00"},
	{spec: "*/30 * * * *", zone: "Europe/Berlin", base: "2026-03-29 00:00"},
	{spec: "*/30 1-3 * * *", zone: "Europe/Berlin", base: "2026-10-24 00:00"},
	{spec: "0 2 * * *", zone: "America/New_York", base: "2026-03-07 00:00"},
	{spec: "*/20 1 * * *", zone: "America/New_York", base: "2026-10-31 00:00"},
	{spec: "0 1-3 * * sun", zone: "America/New_York", base: "2026-10-30 00:00"},
	{spec: "*/15 1-2 * * *", zone: "Australia/Lord_Howe", base: "2026-04-04 00:00"},
	{spec: "*/15 1-2 * * *", zone: "Australia/Lord_Howe", base: "2026-10-03 00:00"},
	{spec: "0 0 30 2 *", zone: "UTC", base: "2026-01-01 00:00"},
}

// TestOnCalendarMatchesSystemd checks, for every calendar case, that the
// next firing times from Next equal those systemd-analyze computes for the
// translated calendar event, from the same base time in the same zone (TZ
// set for systemd-analyze). Under CI a missing systemd-analyze fails the
// test (scripts/install-packaging-tools.sh installs Debian's systemd
// package; it runs without systemd as PID 1).
func TestOnCalendarMatchesSystemd(t *testing.T) {
	t.Parallel()
	tool := systemdAnalyze(t)
	if len(calendarCases) < 40 {
		t.Fatalf("only %d cases", len(calendarCases))
	}
	for _, c := range calendarCases {
		t.Run(c.zone+"/"+c.spec+"/"+c.base, func(t *testing.T) {
			t.Parallel()
			n := c.n
			if n == 0 {
				n = 50
			}
			loc := mustLoad(t, c.zone)
			base, err := time.ParseInLocation("2006-01-02 15:04", c.base, loc)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Compile(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			expr, err := s.OnCalendar()
			if err != nil {
				t.Fatal(err)
			}
			want := systemdTimes(t, tool, c.zone, base, expr, n)
			got := nextTimes(s, base, n)
			if len(got) != len(want) {
				t.Fatalf("%q -> %q: Next gives %d times, systemd %d\nNext:    %v\nsystemd: %v", c.spec, expr, len(got), len(want), got, want)
			}
			for i := range want {
				if !got[i].Equal(want[i]) {
					t.Fatalf("%q -> %q: firing %d is %v, systemd says %v", c.spec, expr, i+1, got[i].In(loc), want[i].In(loc))
				}
			}
		})
	}
}

// systemdAnalyze returns the path of systemd-analyze; a missing tool fails
// the test under CI and skips it elsewhere.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("systemd-analyze not found (Debian package systemd; make deps installs it): %v", err)
		}
		t.Skipf("systemd-analyze not found (Debian package systemd): %v", err)
	}
	return p
}

// nextTimes returns up to n successive firing times after base.
func nextTimes(s *Schedule, base time.Time, n int) []time.Time {
	var out []time.Time
	for at := base; len(out) < n; {
		if at = s.Next(at); at.IsZero() {
			break
		}
		out = append(out, at)
	}
	return out
}

// systemdTimes runs `systemd-analyze calendar --iterations=N
// --base-time=@UNIX EXPR` with TZ=zone and returns the elapse times it
// prints, read from its "(in UTC)" lines (outside UTC) or its own.
func systemdTimes(t *testing.T, tool, zone string, base time.Time, expr string, n int) []time.Time {
	t.Helper()
	cmd := exec.Command(tool, "calendar", fmt.Sprintf("--iterations=%d", n), fmt.Sprintf("--base-time=@%d", base.Unix()), expr)
	cmd.Env = append(os.Environ(), "TZ="+zone)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	var times []string
	for _, line := range strings.Split(string(out), "\n") {
		label, value, ok := strings.Cut(strings.TrimSpace(line), ": ")
		switch {
		case !ok:
		case label == "Next elapse" || strings.HasPrefix(label, "Iter. #"):
			times = append(times, value)
		case label == "(in UTC)":
			times[len(times)-1] = value // the same time in UTC
		}
	}
	var parsed []time.Time
	for _, v := range times {
		if v == "never" {
			break
		}
		at, err := time.Parse("Mon 2006-01-02 15:04:05 MST", v)
		if err != nil || !strings.HasSuffix(v, " UTC") {
			t.Fatalf("systemd-analyze printed %q, not a time in UTC: %v\n%s", v, err, out)
		}
		parsed = append(parsed, at)
	}
	return parsed
}
