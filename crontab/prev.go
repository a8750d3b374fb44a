package crontab

import (
	"math/bits"
	"time"
)

// maxShift bounds how far a wall clock jumps at a daylight-saving change
// anywhere (one hour in most zones, two at most in history). Prev starts
// its search on t's own day this far past t's wall clock: in the hour
// repeated in autumn, a wall time later than t's may still come before t.
const maxShift = 3

// Prev returns the latest firing time at or before t: the start of a
// whole minute on the wall clock of t's Location, as Next reads it (a
// time in a spring gap never fires, a repeated one fires at its first
// occurrence). So Prev(Next(t)) == Next(t) for every firing time. It
// returns the zero Time for @reboot and for a schedule that never fires.
func (s *Schedule) Prev(t time.Time) time.Time {
	if s.reboot {
		return time.Time{}
	}
	return s.searchDays(t, -1, func(day time.Time, first bool) (time.Time, bool) {
		if first {
			return s.prevInDay(day, min(t.Hour()+maxShift, 23), 59, t, t.Location())
		}
		return s.prevInDay(day, 23, 59, t, t.Location())
	})
}

// prevInDay returns the last firing time of day, at or before the wall
// clock hour:minute, that exists in loc and is not after t.
func (s *Schedule) prevInDay(day time.Time, hour, minute int, t time.Time, loc *time.Location) (time.Time, bool) {
	for h := prev(s.hour, hour); h >= 0; h = prev(s.hour, h-1) {
		for m := prev(s.minute, minute); m >= 0; m = prev(s.minute, m-1) {
			if at, ok := wallTime(day, h, m, loc); ok && !at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// prev returns the largest value <= to in set, or -1 when there is none.
func prev(set uint64, to int) int {
	if to < 0 {
		return -1
	}
	if to < 63 {
		set &= 1<<(to+1) - 1
	}
	return bits.Len64(set) - 1
}
