package crontab

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		format Format
		want   Line
		err    string
	}{
		{name: "blank", in: "  \t", want: Line{Kind: Blank}},
		{name: "comment", in: "  # 61 * * * * nonsense", want: Line{Kind: Comment}},
		{name: "env", in: "MAILTO=ops@example.com", want: Line{Kind: Env, Name: "MAILTO", Value: "ops@example.com"}},
		{name: "env quoted and spaced", in: `MAILTO = ""`, want: Line{Kind: Env, Name: "MAILTO", Value: ""}},
		{name: "system job", in: "*/5 * * * * root /usr/bin/switchman -g g -- /bin/true", format: FormatSystem,
			want: Line{Kind: Job, Schedule: "*/5 * * * *", User: "root", Command: "/usr/bin/switchman -g g -- /bin/true"}},
		{name: "user job keeps command spacing", in: "0 3 * * mon-fri   /bin/echo  a   b", format: FormatUser,
			want: Line{Kind: Job, Schedule: "0 3 * * mon-fri", Command: "/bin/echo  a   b"}},
		{name: "keyword system", in: "@reboot\tdaemon\t/bin/true", format: FormatSystem,
			want: Line{Kind: Job, Schedule: "@reboot", User: "daemon", Command: "/bin/true"}},
		{name: "keyword user", in: "@hourly /bin/true", format: FormatUser,
			want: Line{Kind: Job, Schedule: "@hourly", Command: "/bin/true"}},
		{name: "auto is user", in: "* * * * * /bin/true", format: FormatAuto,
			want: Line{Kind: Job, Schedule: "* * * * *", Command: "/bin/true"}},
		{name: "bad minute", in: "61 * * * * root /bin/true", format: FormatSystem, err: `minute field "61"`},
		{name: "no command", in: "* * * * * root", format: FormatSystem, err: "want 5 time fields, a user and a command"},
		{name: "too few fields", in: "* * *", format: FormatUser, err: "want 5 time fields and a command"},
		{name: "keyword without command", in: "@daily", format: FormatUser, err: "want an @keyword and a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLine(tt.in, tt.format)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseLine(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				if !errors.Is(err, ErrLine) && !errors.Is(err, ErrSchedule) {
					t.Errorf("error %v matches neither ErrLine nor ErrSchedule", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseLine(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want Format
	}{
		{"/etc/crontab", FormatSystem},
		{"/etc/cron.d/scripts2", FormatSystem},
		{"debian/scripts2.cron.d", FormatSystem},
		{"out/cron.d/x", FormatSystem},
		{"/var/spool/cron/crontabs/root", FormatUser},
		{"mycrontab", FormatUser},
	}
	for _, tt := range tests {
		if got := FormatOf(tt.path); got != tt.want {
			t.Errorf("FormatOf(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
