package job

import (
	"context"
	"sync"
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
//
// It sends too, at the same time and within the same bound, the events
// that earlier runs on this host claimed too late to send them (see
// fleet.LateEvent), which the spool's flush found.
func (j *job) sendEvent(ctx context.Context) {
	var out []noticed
	if j.event != nil {
		out = append(out, noticed{p: *j.event, commands: j.notify})
	}
	out = append(out, j.lateEvents()...)
	var wg sync.WaitGroup
	for _, e := range out {
		// deliverNotice logs one warning line for an event not delivered:
		// cron mails it, so a broken notify command does not go
		// unnoticed, and the job's own outcome is unchanged.
		wg.Go(func() { deliverNotice(ctx, j.cfg, j.log, e) })
	}
	wg.Wait()
}

// lateEvents are the events the spool's flush found claimed but never
// sent, each for the notifier its run named.
func (j *job) lateEvents() []noticed {
	if j.rec == nil {
		return nil
	}
	var out []noticed
	for _, l := range j.rec.LateEvents() {
		cmds, err := j.cfg.NotifyCommands(l.Notify)
		if err != nil || len(cmds) == 0 {
			continue
		}
		p := pastPayload(j.cfg, l.Lock, notify.Event(l.Event), l.PastRun, l.Finish)
		j.log.Info().Str("lock", l.Lock).Str("event", l.Event).Time("finish", l.Finish).Msg("sending an event claimed by a late finish")
		out = append(out, noticed{p: p, commands: cmds})
	}
	return out
}
