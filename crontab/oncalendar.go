package crontab

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// weekdayNames are systemd's, Monday first as its calendar counts them.
var weekdayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// OnCalendar returns the systemd calendar event (systemd.time(7), the
// value of a timer's OnCalendar=) that elapses at exactly the minutes
// the schedule fires, e.g. "Mon..Fri *-*-* 09..17:00/15:00" for
// "*/15 9-17 * * mon-fri". Every field becomes the same set of values,
// written as *, a list, a range "a..b" or a repetition "a/step".
//
// Two schedules have no such event, and the error (matching
// ErrNoCalendar, one line naming the field) says why: @reboot, and a
// schedule that restricts both the day of month and the day of week, which
// cron ORs and OnCalendar= ANDs. A full list ("1-31", "0-6") is no
// restriction under the OR rule: the day always matches.
//
// Daylight-saving changes aside (see Next), the event elapses at the times
// Next returns.
func (s *Schedule) OnCalendar() (string, error) {
	if s.reboot {
		return "", calErr("@reboot runs when cron starts, not at a time of day: no calendar event says that")
	}
	dom, dow := s.dom, s.dow
	if !s.domStar && !s.dowStar {
		switch {
		case dom == fullSet(DayOfMonth) || dow == fullSet(DayOfWeek):
			dom, dow = fullSet(DayOfMonth), fullSet(DayOfWeek) // either matches every day
		default:
			return "", calErr("day of month and day of week are both restricted: cron runs on the days where either matches, OnCalendar= only where both do (use two blocks, one restricting each)")
		}
	}
	var b strings.Builder
	if dow != fullSet(DayOfWeek) {
		b.WriteString(weekdays(dow) + " ")
	}
	fmt.Fprintf(&b, "*-%s-%s %s:%s:00",
		calendarField(s.month, Month), calendarField(dom, DayOfMonth),
		calendarField(s.hour, Hour), calendarField(s.minute, Minute))
	return b.String(), nil
}

func calErr(format string, args ...any) error { return errorf(ErrNoCalendar, format, args...) }

// fullSet is every value of a field (day of week without the 7).
func fullSet(f Field) uint64 {
	if f == DayOfWeek {
		return span(0, 6, 1)
	}
	return span(fieldSpecs[f].min, fieldSpecs[f].max, 1)
}

// calendarField writes one numeric field of a calendar event, two digits a
// value: "*" for every value, "a/step" for a progression of at least three
// values that runs to the field's end, else a list of values and ranges.
func calendarField(set uint64, f Field) string {
	if set == fullSet(f) {
		return "*"
	}
	vals := values(set)
	if step, ok := progression(vals, fieldSpecs[f].max); ok {
		return fmt.Sprintf("%02d/%d", vals[0], step)
	}
	return runs(vals, func(v int) string { return fmt.Sprintf("%02d", v) })
}

// weekdays writes a day-of-week set Monday first: "Mon..Fri", "Sat,Sun".
func weekdays(set uint64) string {
	var monFirst []int
	for _, v := range values(set) {
		monFirst = append(monFirst, (v+6)%7)
	}
	slices.Sort(monFirst)
	return runs(monFirst, func(v int) string { return weekdayNames[v] })
}

// progression reports whether sorted vals are v0, v0+step, ... up to the
// last value below max+1, the meaning of systemd's "v0/step".
func progression(vals []int, max int) (int, bool) {
	if len(vals) < 3 {
		return 0, false
	}
	step := vals[1] - vals[0]
	for i := 2; i < len(vals); i++ {
		if vals[i]-vals[i-1] != step {
			return 0, false
		}
	}
	return step, vals[len(vals)-1]+step > max
}

// runs writes sorted vals as a comma list, with runs of three or more
// consecutive values as "a..b".
func runs(vals []int, name func(int) string) string {
	var parts []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, name(vals[i])+".."+name(vals[j]))
		case j > i:
			parts = append(parts, name(vals[i]), name(vals[j]))
		default:
			parts = append(parts, name(vals[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// values lists the members of set in increasing order.
func values(set uint64) []int {
	var out []int
	for set != 0 {
		v := bits.TrailingZeros64(set)
		out = append(out, v)
		set &^= 1 << v
	}
	return out
}
