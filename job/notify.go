package job

import (
	"context"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/notify"
)

// eventRule returns the decision the finish record makes and claims for
// the run's notification (fleet.RecorderOptions.Event), or nil when this
// host has no notify commands.
func (j *job) eventRule() func([]fleet.PastRun, []fleet.Notice, string) string {
	if len(j.notify) == 0 {
		return nil
	}
	return func(prior []fleet.PastRun, notices []fleet.Notice, result string) string {
		rule := notify.Rule{After: j.cfg.NotifyAfter, HaltOnFailure: j.opts.HaltOnFailure,
			Repeat: j.cfg.NotifyRepeat, Now: time.Now(), Notices: notices}
		return string(notify.Decide(prior, result, rule))
	}
}

// decideEvent keeps, for sendEvent, the payload of the event the finish
// of rec claimed in the job's history, if any. A finish that was not
// written fires nothing: the runs it follows are not known, and the host
// whose finish is written later (the spool's flush) does not notify
// either.
func (j *job) decideEvent(rec *fleet.Run) {
	if len(j.notify) == 0 {
		return
	}
	if _, ok := rec.Prior(); !ok {
		if rec.Result != fleet.ResultSuccess {
			j.log.Info().Str("lock", rec.Lock).Msg("finish not recorded; no notification for this run")
		}
		return
	}
	if rec.Event == "" {
		return
	}
	j.event = &notify.Payload{Job: rec.Lock, Event: notify.Event(rec.Event), Host: rec.Host, Slot: rec.Slot, Time: rec.Finish,
		ExitStatus: rec.ExitCode, Result: rec.Result, DurationMS: rec.DurationMS, Output: rec.Output,
		OutputCut: rec.OutputCut, FencingToken: rec.Token, DashboardURL: notify.JobLink(j.cfg.DashboardURL, rec.Lock)}
}

// sendEvent delivers the run's event, if it fired one, through the notify
// commands. It runs after the session is closed, so that the lock is free
// while it waits, and it returns within notify_timeout; a failure is only
// logged: it never changes the run's exit status.
func (j *job) sendEvent(ctx context.Context) {
	if j.event == nil {
		return
	}
	err := notify.Deliver(context.WithoutCancel(ctx), *j.event, notify.Options{Commands: j.notify,
		Timeout: j.cfg.NotifyTimeout, Logger: j.log})
	if err != nil {
		// One warning line: cron mails it, so a broken notify command does
		// not go unnoticed, and the job's own outcome is unchanged.
		j.log.Warn().Err(err).Str("lock", j.event.Job).Str("event", string(j.event.Event)).Msg("notification not delivered")
	}
}
