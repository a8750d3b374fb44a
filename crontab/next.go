package crontab

import (
	"math/bits"
	"strings"
	"time"
)

// Schedule is a parsed time specification: the minutes, hours, days of
// month, months and days of week at which cron runs a job, with Vixie
// cron's rules (those of Debian's cron and cronie):
//
//   - a step counts from the start of its range: "*/20" in the minute
//     field is 0,20,40, "10-30/15" is 10,25;
//   - day of week 7 is Sunday, like 0;
//   - when both the day-of-month and the day-of-week field are restricted,
//     a day matches when EITHER matches ("0 0 1 * mon": the 1st and every
//     Monday). A field counts as unrestricted when its text starts with
//     "*", so "*/2" is unrestricted too and "0 0 */2 * mon" runs on odd
//     days that are Mondays, as in cron's source (DOM_STAR, DOW_STAR);
//   - the @keywords are their five-field forms: @yearly and @annually
//     "0 0 1 1 *", @monthly "0 0 1 * *", @weekly "0 0 * * 0", @daily and
//     @midnight "0 0 * * *", @hourly "0 * * * *". @reboot has no time.
//
// A Schedule is immutable and safe for concurrent use.
type Schedule struct {
	spec   string // as ParseSchedule normalizes it
	reboot bool
	// One bit per value: minute 0-59, hour 0-23, dom 1-31, month 1-12,
	// dow 0-6 (7 folded into 0).
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

// keywordFields are the five-field forms of the @keywords that have times.
var keywordFields = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// Compile parses a time specification as ParseSchedule does (same errors,
// matching ErrSchedule) and returns it as a Schedule.
func Compile(spec string) (*Schedule, error) {
	norm, err := ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	s := &Schedule{spec: norm}
	if norm == "@reboot" {
		s.reboot = true
		return s, nil
	}
	fields := strings.Fields(norm)
	if kw, ok := keywordFields[norm]; ok {
		fields = strings.Fields(kw)
	}
	sets := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, text := range fields {
		// Cannot fail: ParseSchedule checked every field.
		if *sets[i], err = parseField(Field(i), text); err != nil {
			return nil, err
		}
	}
	s.dow = (s.dow | s.dow>>7) & 0x7f // 7 is Sunday
	s.domStar = strings.HasPrefix(fields[DayOfMonth], "*")
	s.dowStar = strings.HasPrefix(fields[DayOfWeek], "*")
	return s, nil
}

// String returns the specification as ParseSchedule normalizes it.
func (s *Schedule) String() string { return s.spec }

// Reboot reports whether the schedule is @reboot, which runs when cron
// starts and has no firing times.
func (s *Schedule) Reboot() bool { return s.reboot }

// searchDays bounds Next's search: the Gregorian calendar repeats every 400
// years, so a day that matches at all matches within that many days (30
// February never does; 29 February on a Sunday, "0 0 29 2 */7", comes
// decades apart).
const searchDays = 146097

// Next returns the first firing time strictly after t: a whole minute,
// read on the wall clock of t's Location. It returns the zero Time for
// @reboot and for a schedule that never fires.
//
// Around daylight-saving changes Next reads the calendar as systemd's
// OnCalendar= does: a wall-clock time that does not exist (the hour skipped
// in spring) is not a firing time, and one that occurs twice (the hour
// repeated in autumn) fires at its first occurrence only. Debian's cron
// differs there: after a jump forward of less than three hours it runs the
// jobs with a fixed time that fell into the gap right away, and in the
// repeated hour it runs the jobs with a * in the minute or hour field again
// (fixed-time jobs once). Hosts on UTC have neither difference.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.reboot {
		return time.Time{}
	}
	return s.searchDays(t, 1, func(day time.Time, first bool) (time.Time, bool) {
		if first {
			// Minute 60 finds no bit: the next hour.
			return s.nextInDay(day, t.Hour(), t.Minute()+1, t, t.Location())
		}
		return s.nextInDay(day, 0, 0, t, t.Location())
	})
}

// searchDays visits the days matching the schedule from t's own date,
// forward (step 1) or backward (-1), for at most searchDays days, and
// returns the first firing time inDay finds in one; first is t's date.
func (s *Schedule) searchDays(t time.Time, step int, inDay func(day time.Time, first bool) (time.Time, bool)) time.Time {
	y, mo, d := t.Date()
	for i := 0; i < searchDays; i++ {
		day := time.Date(y, mo, d+step*i, 0, 0, 0, 0, time.UTC) // civil date arithmetic only
		if !s.dayMatches(day) {
			continue
		}
		if at, ok := inDay(day, i == 0); ok {
			return at
		}
	}
	return time.Time{}
}

// dayMatches applies cron's day rule: month, and day of month and day of
// week ANDed when either field starts with "*", ORed otherwise.
func (s *Schedule) dayMatches(day time.Time) bool {
	if !has(s.month, int(day.Month())) {
		return false
	}
	dom, dow := has(s.dom, day.Day()), has(s.dow, int(day.Weekday()))
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// nextInDay returns the first firing time of day, at or after the wall
// clock hour:minute, that exists in loc and is after t.
func (s *Schedule) nextInDay(day time.Time, hour, minute int, t time.Time, loc *time.Location) (time.Time, bool) {
	for h := next(s.hour, hour); h < 24; h = next(s.hour, h+1) {
		from := 0
		if h == hour {
			from = minute
		}
		for m := next(s.minute, from); m < 60; m = next(s.minute, m+1) {
			if at, ok := wallTime(day, h, m, loc); ok && at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// wallTime returns the earliest instant whose wall clock in loc reads
// day's date at h:m, or false when no instant does (a daylight-saving gap).
func wallTime(day time.Time, h, m int, loc *time.Location) (time.Time, bool) {
	at := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
	if !sameWall(at, day, h, m) {
		return time.Time{}, false // normalized out of a gap
	}
	// The wall time may occur twice (autumn): Go picks either occurrence,
	// so look for it in the zone period before at's.
	start, _ := at.ZoneBounds()
	if start.IsZero() {
		return at, true
	}
	_, off := at.Zone()
	_, prevOff := start.Add(-time.Second).Zone()
	earlier := at.Add(time.Duration(off-prevOff) * time.Second)
	if earlier.Before(start) && sameWall(earlier, day, h, m) {
		return earlier, true
	}
	return at, true
}

func sameWall(at, day time.Time, h, m int) bool {
	y, mo, d := at.Date()
	return y == day.Year() && mo == day.Month() && d == day.Day() && at.Hour() == h && at.Minute() == m
}

// has reports whether value v is in set.
func has(set uint64, v int) bool { return set&(1<<v) != 0 }

// next returns the smallest value >= from in set, or 64 when there is none.
func next(set uint64, from int) int {
	if from >= 64 {
		return 64
	}
	return bits.TrailingZeros64(set >> from << from)
}
