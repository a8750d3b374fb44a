package crontab

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, err string
	}{
		{name: "every minute", in: "* * * * *", want: "* * * * *"},
		{name: "spacing normalized", in: " */2\t*  * * * ", want: "*/2 * * * *"},
		{name: "ranges lists steps", in: "0,30 9-17/2 1-15 * *", want: "0,30 9-17/2 1-15 * *"},
		{name: "names", in: "0 3 * jan-jun mon-fri", want: "0 3 * jan-jun mon-fri"},
		{name: "names any case", in: "0 3 * JAN,Dec Sun", want: "0 3 * JAN,Dec Sun"},
		{name: "sunday as 7", in: "0 0 * * 7", want: "0 0 * * 7"},
		{name: "zero padded", in: "05 07 01 02 03", want: "05 07 01 02 03"},
		{name: "name range step", in: "0 0 1 jan-dec/3 *", want: "0 0 1 jan-dec/3 *"},
		{name: "reboot", in: "@reboot", want: "@reboot"},
		{name: "daily", in: " @daily ", want: "@daily"},
		{name: "minute 61", in: "61 * * * *", err: `minute field "61": 61 is out of range 0-59`},
		{name: "hour 24", in: "0 24 * * *", err: `hour field "24": 24 is out of range 0-23`},
		{name: "day 0", in: "0 0 0 * *", err: `day of month field "0": 0 is out of range 1-31`},
		{name: "month 13", in: "0 0 1 13 *", err: `month field "13": 13 is out of range 1-12`},
		{name: "dow 8", in: "0 0 * * 8", err: `day of week field "8": 8 is out of range 0-7`},
		{name: "step zero", in: "*/0 * * * *", err: `minute field "*/0": step 0 is out of range 1-59`},
		{name: "step too big", in: "*/90 * * * *", err: `step 90 is out of range 1-59`},
		{name: "step without range", in: "5/10 * * * *", err: `step /10 needs a range or * before it, not "5"`},
		{name: "step not a number", in: "*/x * * * *", err: `step "x" is not a number`},
		{name: "backwards", in: "0 0 * * fri-mon", err: `range fri-mon is backwards`},
		{name: "unknown name", in: "0 0 * foo *", err: `"foo" is neither a number nor a name (jan-dec)`},
		{name: "name in minute", in: "mon * * * *", err: `minute field "mon": "mon" is not a number`},
		{name: "empty list element", in: "1,,2 * * * *", err: `empty list element`},
		{name: "open range", in: "1- * * * *", err: `missing number in range`},
		{name: "four fields", in: "* * * *", err: `has 4 fields, want 5`},
		{name: "six fields", in: "* * * * * *", err: `has 6 fields, want 5`},
		{name: "empty", in: "", err: `has 0 fields`},
		{name: "unknown keyword", in: "@fortnightly", err: `unknown keyword "@fortnightly"`},
		{name: "keyword with fields", in: "@daily *", err: `has 2 fields`},
		{name: "huge number", in: "99999999999999999999 * * * *", err: `is not a number`},
		{name: "negative", in: "-1 * * * *", err: `missing number in range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSchedule(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSchedule(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				if !errors.Is(err, ErrSchedule) {
					t.Errorf("error %v does not match ErrSchedule", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSchedule(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseFieldRejectsUnknownField(t *testing.T) {
	t.Parallel()
	if err := ParseField(Field(9), "1"); err == nil || !errors.Is(err, ErrSchedule) {
		t.Fatalf("ParseField(9) = %v, want an ErrSchedule error", err)
	}
	if got := Field(9).String(); got != "field(9)" {
		t.Errorf("Field(9).String() = %q", got)
	}
}
