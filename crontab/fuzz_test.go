package crontab

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/testenv"
)

func FuzzParseSchedule(f *testing.F) {
	seeds := []string{"* * * * *", "*/5 9-17 * jan-jun mon-fri", "@daily", "61 * * * *", "*/0 * * * *", "1-2/3,4 * * * 7"}
	testenv.FuzzParser(f, seeds, ParseSchedule, ErrSchedule, func(t *testing.T, _ string, got string) {
		again, err := ParseSchedule(got)
		if err != nil || again != got {
			t.Fatalf("normalized %q does not parse to itself: %q, %v", got, again, err)
		}
	})
}

func FuzzParseField(f *testing.F) {
	f.Add(0, "*/15")
	f.Add(3, "jan-dec/2")
	f.Add(4, "mon-fri,0")
	f.Add(1, "24")
	f.Fuzz(func(t *testing.T, field int, s string) {
		if err := ParseField(Field(field), s); err != nil {
			testenv.OneLine(t, err)
			if !errors.Is(err, ErrSchedule) {
				t.Fatalf("error %v does not match ErrSchedule", err)
			}
		}
	})
}

func FuzzParseLine(f *testing.F) {
	f.Add("*/2 * * * * root /usr/bin/switchman -g a -- /bin/job 'x y' >/dev/null 2>&1", true)
	f.Add("@reboot /usr/bin/switchman --lockname $(hostname)-x -- job%stdin", false)
	f.Add("MAILTO=\"\"", true)
	f.Add("0 0 * * * root nice switchman -- a; switchman -- b | c", true)
	f.Fuzz(func(t *testing.T, s string, system bool) {
		format := FormatUser
		if system {
			format = FormatSystem
		}
		l, err := ParseLine(s, format)
		if err != nil {
			testenv.OneLine(t, err)
			return
		}
		if l.Kind == Job {
			if _, err := ParseSchedule(l.Schedule); err != nil {
				t.Fatalf("job line %q has an invalid schedule %q", s, l.Schedule)
			}
		}
		var r Report
		r.CheckFile("fuzz", []byte(s), CheckOptions{Format: format, Groups: map[string]bool{"a": true}})
		r.Finish()
		if sum := r.Summary(); strings.Count(sum, "|") != 1 || strings.ContainsAny(sum, "\n\r") {
			t.Fatalf("summary %q is not one Nagios line", sum)
		}
	})
}

func FuzzSplitParams(f *testing.F) {
	seeds := []string{"--mod 2 --rem 0", `--name "a b" 'c;d'`, "--fmt %Y", `a\ b`, "$HOME", "'unclosed"}
	testenv.FuzzParser(f, seeds, SplitParams, nil, func(t *testing.T, s string, words []string) {
		// A word that Quote accepts must come back unchanged through sh.
		for _, w := range words {
			q, err := Quote(w)
			if err != nil {
				continue
			}
			back, err := SplitParams(q)
			if err != nil || len(back) != 1 || back[0] != w {
				t.Fatalf("Quote(%q) = %q splits to %q, %v", w, q, back, err)
			}
		}
		// What cron hands sh is exactly the params text.
		if esc, err := EscapePercent(s); err == nil {
			if cmd, stdin := cronCommand(esc); cmd != s || stdin != "" {
				t.Fatalf("cron turns %q into %q + stdin %q, want %q", esc, cmd, stdin, s)
			}
		}
	})
}

// FuzzCompile checks that every schedule Compile accepts gives firing times
// after the base, in order, that match it again, and either a calendar
// event or a one-line ErrNoCalendar error.
func FuzzCompile(f *testing.F) {
	seeds := []string{"*/5 9-17 * jan-jun mon-fri", "0 0 1 * mon", "0 0 */2 * 7", "@weekly", "@reboot", "0 0 30 2 *", "1-59/7 */5 1,15 * *"}
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	testenv.FuzzParser(f, seeds, Compile, ErrSchedule, func(t *testing.T, in string, s *Schedule) {
		if _, err := s.OnCalendar(); err != nil {
			testenv.OneLine(t, err)
			if !errors.Is(err, ErrNoCalendar) {
				t.Fatalf("%q: OnCalendar error %v does not match ErrNoCalendar", in, err)
			}
		}
		at := base
		for i := 0; i < 3; i++ {
			next := s.Next(at)
			if next.IsZero() {
				return
			}
			if !next.After(at) || next.Second() != 0 || !s.Next(next.Add(-time.Minute)).Equal(next) {
				t.Fatalf("%q: Next(%v) = %v", in, at, next)
			}
			at = next
		}
	})
}
