// Package notify decides which event a finished run fires (failed,
// recovered, ...), builds the event's JSON payload and environment, and
// delivers it to the configured notify commands. It knows no ZooKeeper:
// the job's history and the run's outcome come from the caller.
package notify

import (
	"time"

	"github.com/acme/switchman/fleet"
)

// Event is the name of something worth telling a human about a job.
type Event string

// The events, in the order the README documents them. A new kind (such as
// a slot nobody ran) is one more constant here and one more row in Events:
// payload, environment and delivery take any Event alike.
const (
	// Failed: the job failed notify_after times in a row, fleet-wide,
	// after a success or on its first runs.
	Failed Event = "failed"
	// Reminder: the job is still failing, notify_repeat after the last
	// event.
	Reminder Event = "reminder"
	// Recovered: the job succeeded after a failure that was notified.
	Recovered Event = "recovered"
	// Halted: a --halt-on-failure run failed, so the job is halted until
	// `switchman resume`.
	Halted Event = "halted"
	// Lost: the run lost its lock or session mid-run and was stopped.
	Lost Event = "lost"
	// Overdue: the run is past its --expected-duration.
	Overdue Event = "overdue"
	// Missed: a scheduled slot nobody ran.
	Missed Event = "missed"
)

// Events lists every event name, for docs and for validation.
var Events = []Event{Failed, Reminder, Recovered, Halted, Lost, Overdue, Missed}

// DefaultAfter is notify_after's default: the first failure is told.
const DefaultAfter = 1

// Rule is what Decide needs beyond the outcomes.
type Rule struct {
	// After is notify_after: how many consecutive failures, fleet-wide,
	// fire Failed (0: DefaultAfter).
	After int
	// HaltOnFailure is the run's --halt-on-failure: a failure halts the
	// job, and fires Halted instead of Failed.
	HaltOnFailure bool
	// Repeat is notify_repeat: how often a job still failing after a
	// notified failure fires Reminder (0: never). Now is when the run
	// finished, and Notices the events claimed for the job outside a
	// finish (the reminders checks sent).
	Repeat  time.Duration
	Now     time.Time
	Notices []fleet.Notice
}

// failing says whether a result counts as a failure of the job.
// ResultMoved (an operator's planned move) counts as neither a failure
// nor a success: it is skipped.
func failing(result string) bool {
	switch result {
	case fleet.ResultSuccess, fleet.ResultMoved:
		return false
	}
	return true
}

// streak returns how many runs at the end of prior failed in a row
// (skipping moved runs, and attempts that --retry followed with another),
// and whether one of them fired an event (recorded in the history, or a
// lost lock, which always fires one).
func streak(prior []fleet.PastRun) (n int, fired bool) {
	for i := len(prior) - 1; i >= 0; i-- {
		r := prior[i].Result
		if r == fleet.ResultMoved || prior[i].Retried {
			continue
		}
		if !failing(r) {
			break
		}
		n++
		fired = fired || r == fleet.ResultLostLock || prior[i].Event != ""
	}
	return n, fired
}

// Decide returns the event a run that ended in result fires, given the
// job's previous finished runs fleet-wide (prior, oldest first, without
// this run), or "" for none:
//   - a success after a notified streak of failures (one of them fired an
//     event, as the history records, or lost its lock; or at least After of
//     them, for a history written before events were) fires Recovered;
//   - a run that lost its lock fires Lost;
//   - a failure with HaltOnFailure fires Halted;
//   - the After-th failure in a row fires Failed; a later one fires
//     Reminder when one is due (ReminderDue: Repeat since the streak was
//     last told), else nothing;
//   - a moved run, and a success after no notified failure, fire nothing;
//   - an attempt that --retry follows with another is not decided at all
//     (its finish passes no rule), and the streak skips it.
func Decide(prior []fleet.PastRun, result string, rule Rule) Event {
	after := rule.After
	if after <= 0 {
		after = DefaultAfter
	}
	n, fired := streak(prior)
	switch {
	case result == fleet.ResultSuccess:
		if n >= after || fired {
			return Recovered
		}
	case result == fleet.ResultMoved:
	case result == fleet.ResultLostLock:
		return Lost
	case rule.HaltOnFailure:
		return Halted
	case n+1 == after:
		return Failed
	case ReminderDue(prior, rule.Notices, rule.Now, rule.Repeat):
		return Reminder
	}
	return ""
}

// lastTold returns when the job's current streak of failures (at the end
// of prior, skipping moved and retried runs) was last told: the finish of
// its latest run that fired an event (or lost its lock), or the latest
// Reminder among notices claimed since the streak began. It is zero when
// the job is not failing or its streak was never told.
func lastTold(prior []fleet.PastRun, notices []fleet.Notice) time.Time {
	var told, began time.Time
	for i := len(prior) - 1; i >= 0; i-- {
		r := prior[i]
		if r.Result == fleet.ResultMoved || r.Retried {
			continue
		}
		if !failing(r.Result) {
			break
		}
		began = r.Start
		if (r.Result == fleet.ResultLostLock || r.Event != "") && r.Finish.After(told) {
			told = r.Finish
		}
	}
	if told.IsZero() {
		return told
	}
	for _, n := range notices {
		if n.Event == string(Reminder) && !n.Time.Before(began) && n.Time.After(told) {
			told = n.Time
		}
	}
	return told
}

// ReminderDue says whether a job with the finished runs prior (oldest
// first) and the notices claimed for it is due a Reminder at now: it
// still fails, its streak of failures was told (an event fired), and the
// last telling (that event or a reminder since) is at least repeat ago.
// repeat 0 never reminds.
func ReminderDue(prior []fleet.PastRun, notices []fleet.Notice, now time.Time, repeat time.Duration) bool {
	if repeat <= 0 {
		return false
	}
	told := lastTold(prior, notices)
	return !told.IsZero() && now.Sub(told) >= repeat
}
