package job

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/nagios"
	"github.com/acme/switchman/notify"
	"github.com/acme/switchman/slot"
	"github.com/acme/switchman/status"
)

// Events that the passing of time fires (reminder, overdue, missed) are
// claimed as fleet.Notices in the job's history by whoever notices them
// first: a check (Noticer.Check) or, for overdue, the running wrapper
// itself (watchOverdue). One claim wins; its claimer delivers the event.

// Noticer claims and delivers the events a check notices.
type Noticer struct {
	// Store is the fleet, Config the config whose notify commands and
	// notify_repeat apply, Logger gets each claim and delivery.
	Store  *fleet.Store
	Config *config.Config
	Logger zerolog.Logger
	// Host is who claims, as notices record it ("": the config's host).
	Host string
}

// noticed is one claimed event on its way to the notify commands.
type noticed struct {
	p        notify.Payload
	commands []string
}

// Check claims and delivers the events the check named check noticed in
// snap, at now: reminders (check failed: jobs still failing notify_repeat
// after they were last told), overdue runs (check overdue) and missed
// slots (check missed). Other checks notice nothing. It returns once the
// deliveries are done, within notify_timeout; failures are logged only: a
// check's verdict never depends on them.
func (n Noticer) Check(ctx context.Context, check string, snap *status.Snapshot, now time.Time) {
	if len(n.Config.Notify) == 0 && len(n.Config.Notifiers) == 0 {
		return
	}
	var out []noticed
	switch check {
	case "failed":
		out = n.reminders(snap, now)
	case "overdue":
		out = n.overdue(snap, now)
	case "missed":
		out = n.missed(snap, now)
	}
	var wg sync.WaitGroup
	for _, e := range out {
		wg.Go(func() { deliverNotice(ctx, n.Config, n.Logger, e) })
	}
	wg.Wait()
}

// claim claims event (with key) for job when due says so, from the job's
// history, to be sent through cmds, or (nil) the commands of the notifier
// the job's latest run named. It returns nil when nothing was claimed:
// nothing due, claimed already, or no command to send it through.
func (n Noticer) claim(job string, event notify.Event, key string, now time.Time, cmds []string, due func([]fleet.PastRun, []fleet.Notice) bool) *noticed {
	var last fleet.PastRun
	claimed, _, err := n.Store.ClaimNotice(job, func(runs []fleet.PastRun, notices []fleet.Notice) *fleet.Notice {
		if len(runs) > 0 {
			last = runs[len(runs)-1]
		}
		if cmds == nil {
			cmds, _ = n.Config.NotifyCommands(last.Notify)
		}
		if len(cmds) == 0 || fleet.Claimed(notices, string(event), key) || !due(runs, notices) {
			return nil
		}
		return &fleet.Notice{Event: string(event), Key: key, Time: now.UTC(), Host: n.Config.Host(n.Host)}
	})
	if err != nil {
		n.Logger.Warn().Err(err).Str("lock", job).Str("event", string(event)).Msg("could not claim the event")
	}
	if claimed == nil {
		return nil
	}
	return &noticed{p: pastPayload(n.Config, job, event, last, now), commands: cmds}
}

// reminders claims a reminder for each job whose latest record failed and
// whose streak was told notify_repeat ago or more.
func (n Noticer) reminders(snap *status.Snapshot, now time.Time) []noticed {
	var out []noticed
	for job, run := range nagios.LatestPerJob(snap.Runs) {
		if run.Result == fleet.ResultSuccess || run.Result == "" {
			continue
		}
		e := n.claim(job, notify.Reminder, "", now, nil, func(runs []fleet.PastRun, notices []fleet.Notice) bool {
			return notify.ReminderDue(runs, notices, now, n.Config.NotifyRepeat)
		})
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

// overdue claims an overdue event for each lock held past its expected
// duration, once per holder (its fencing token).
func (n Noticer) overdue(snap *status.Snapshot, now time.Time) []noticed {
	var out []noticed
	for _, h := range snap.Locks {
		exp, err := time.ParseDuration(h.ExpectedDuration)
		if err != nil || exp <= 0 || h.Start.IsZero() || now.Sub(h.Start) < exp {
			continue
		}
		always := func([]fleet.PastRun, []fleet.Notice) bool { return true }
		if e := n.claim(h.Name, notify.Overdue, strconv.FormatInt(h.Token, 10), now, nil, always); e != nil {
			e.p = runningPayload(n.Config, h.Name, h.Host, h.Start, h.Token, now)
			out = append(out, *e)
		}
	}
	return out
}

// missed claims a missed event for each scheduled job whose last due slot
// ran on no host, once per slot.
func (n Noticer) missed(snap *status.Snapshot, now time.Time) []noticed {
	late, _ := snap.Missed(now, n.Config.SlotSkew)
	var out []noticed
	for job, at := range late {
		always := func([]fleet.PastRun, []fleet.Notice) bool { return true }
		if e := n.claim(job, notify.Missed, slot.Name(at), now, nil, always); e != nil {
			e.p = notify.Payload{Job: job, Event: notify.Missed, Slot: at.UTC(), Time: now.UTC(), Result: notify.ResultMissed,
				ExitStatus: -1, DashboardURL: notify.JobLink(n.Config.DashboardURL, job)}
			out = append(out, *e)
		}
	}
	return out
}

// pastPayload is the payload of event about job, told from its latest
// finished run r (a reminder: the failure that goes on).
func pastPayload(cfg *config.Config, job string, event notify.Event, r fleet.PastRun, now time.Time) notify.Payload {
	return notify.Payload{Job: job, Event: event, Host: r.Host, Slot: r.Slot, Time: now.UTC(), ExitStatus: r.ExitCode,
		Result: r.Result, DurationMS: r.DurationMS, Output: r.Output, OutputCut: r.OutputCut, FencingToken: r.Token,
		DashboardURL: notify.JobLink(cfg.DashboardURL, job)}
}

// runningPayload is the payload of an overdue run: still running on host
// since start, under the fencing token.
func runningPayload(cfg *config.Config, job, host string, start time.Time, token int64, now time.Time) notify.Payload {
	return notify.Payload{Job: job, Event: notify.Overdue, Host: host, Time: now.UTC(), ExitStatus: -1,
		Result: notify.ResultRunning, DurationMS: now.Sub(start).Milliseconds(), FencingToken: token,
		DashboardURL: notify.JobLink(cfg.DashboardURL, job)}
}

// deliverNotice delivers a claimed event; a failure is logged only.
func deliverNotice(ctx context.Context, cfg *config.Config, log zerolog.Logger, e noticed) {
	err := notify.Deliver(context.WithoutCancel(ctx), e.p, notify.Options{Commands: e.commands, Timeout: cfg.NotifyTimeout, Logger: log})
	if err != nil {
		log.Warn().Err(err).Str("lock", e.p.Job).Str("event", string(e.p.Event)).Msg("notification not delivered")
	}
}

// watchOverdue claims and delivers the run's overdue event when its
// command (all its attempts, since start) runs past --expected-duration,
// unless a check claimed it first: the same claim, keyed by the fencing
// token (by host and start for a run without a lock). The returned stop
// ends the watch, and waits for a delivery under way (within
// notify_timeout).
func (j *job) watchOverdue(a attempt, start time.Time) (stop func()) {
	exp := j.opts.ExpectedDuration
	if len(j.notify) == 0 || exp <= 0 || a.c == nil {
		return func() {}
	}
	var token int64
	key := j.host + "@" + start.UTC().Format(time.RFC3339Nano)
	if a.held != nil {
		token = a.held.Token
		key = strconv.FormatInt(token, 10)
	}
	n := Noticer{Store: a.c.Store(), Config: j.cfg, Logger: j.log, Host: j.host}
	done := make(chan struct{})
	t := time.AfterFunc(exp, func() {
		defer close(done)
		now := time.Now()
		always := func([]fleet.PastRun, []fleet.Notice) bool { return true }
		// Through this run's own notifier, whatever the last run named.
		if e := n.claim(j.opts.LockName, notify.Overdue, key, now, j.notify, always); e != nil {
			e.p = runningPayload(j.cfg, j.opts.LockName, j.host, start, token, now)
			deliverNotice(context.Background(), j.cfg, j.log, *e)
		}
	})
	return func() {
		if !t.Stop() {
			<-done
		}
	}
}
