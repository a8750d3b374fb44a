package main

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// checkPauseAndHalt skips a run while its job or group is paused (one
// listing of PREFIX/pauses per run, logged only), and a --halt-on-failure
// job while its last finished run failed: that skip is said on stderr
// (cron mails it) with the command that clears it.
func (j *job) checkPauseAndHalt(pf *preflight) error {
	if pf.pauseErr != nil {
		return pf.pauseErr
	}
	if p := pf.pause; pf.marker != "" {
		j.log.Info().Str("lock", j.opts.LockName).Str("paused", pf.marker).Str("by", p.Who).Time("since", p.When).
			Str("reason", p.Reason).Msg("paused; not running")
		return errSkip
	}
	if pf.haltErr != nil {
		return pf.haltErr
	}
	if h := pf.halt; h != nil {
		fmt.Fprintf(j.app.Stderr, "switchman: %s is halted: its run on %s at %s ended in %s; not running. "+
			"Fix the cause, then run: switchman resume %s\n",
			j.opts.LockName, h.Host, h.When.Local().Format(time.DateTime), h.Result, j.opts.LockName)
		return errSkip
	}
	return nil
}

// recordWaiting marks the run record waiting when the run first has to
// wait in a queue (leases, then --wait: the second wait finds it done); a
// run that gets everything at once never writes it. A ZooKeeper hiccup
// here is logged only.
func (j *job) recordWaiting(c *conn) {
	if j.opts.NoLock || j.wait.wrote {
		return // such runs keep no record, or it says waiting already
	}
	prev, wrote, err := c.store.RecordWaiting(j.opts.LockName, j.host, j.opts.Group)
	if err != nil {
		j.log.Warn().Err(err).Msg("could not record that the run waits")
		return
	}
	j.wait.wrote, j.wait.prev = wrote, prev
}

// restoreRecord undoes recordWaiting after a wait that ended without a run
// (timeout, signal, lock taken meanwhile): the record says again what the
// last run did.
func (j *job) restoreRecord(c *conn) {
	if !j.wait.wrote || c == nil {
		return
	}
	if err := c.store.RestoreRecord(j.opts.LockName, j.host, j.wait.prev); err != nil {
		j.log.Warn().Err(err).Msg("could not restore the run record after the wait")
	}
}

// recordStart writes the run record at start and returns it (nil for a
// run that keeps none). A record written with the lock (rode) is not
// written again: the child's pid and the fencing token, which it could not
// know, reach the record at finish. A ZooKeeper hiccup here is logged and
// never fails the job.
func (j *job) recordStart(c *conn, held *lock.Held, rode *fleet.Run, hist *fleet.History, pid int) *fleet.Run {
	if c == nil || j.opts.NoLock {
		return nil
	}
	rec := rode
	if rec == nil {
		rec = j.newRecord()
	}
	rec.Extends(hist)
	rec.PID = pid
	if held != nil {
		rec.Token = held.Token
	}
	if rode != nil {
		return rec
	}
	if err := c.store.RecordStart(rec); err != nil {
		j.log.Warn().Err(err).Msg("could not record the run's start; the job runs anyway")
	}
	return rec
}

// undoStart puts the last run record back after a start record written
// with the lock (rec, nil if none was) for a command that then did not
// start (a stop signal meanwhile, a failed exec). Failures are logged only.
func (j *job) undoStart(c *conn, rec *fleet.Run, pf *preflight) {
	if rec == nil {
		return
	}
	if err := c.store.UndoStart(rec, pf.prev); err != nil {
		j.log.Warn().Err(err).Msg("could not put the run record back")
	}
}

// newRecord is the run record of this run as it starts.
func (j *job) newRecord() *fleet.Run {
	return &fleet.Run{Lock: j.opts.LockName, Host: j.host, Group: j.opts.Group,
		Start: time.Now().UTC(), Expected: durString(j.opts.ExpectedDuration)}
}

// recordFinish writes the run record (with the job's history, and a
// failure's kept output), the halt marker and the metrics file at finish;
// failures are logged only. When ZooKeeper cannot take the record
// promptly, it is spooled locally (see writeFinish).
func (j *job) recordFinish(c *conn, rec *fleet.Run, r supervise.Result, result string, tail *supervise.Tail) {
	if rec == nil {
		rec = &fleet.Run{Lock: j.opts.LockName, Host: j.host, Group: j.opts.Group, PID: r.PID,
			Start: time.Now().Add(-r.Wall).UTC()}
	}
	rec.Finish = time.Now().UTC()
	rec.ExitCode, rec.Result = r.ExitCode, result
	rec.DurationMS, rec.MaxRSSKB = r.Wall.Milliseconds(), r.MaxRSSKB
	if c != nil && !j.opts.NoLock {
		if tail != nil && result != fleet.ResultSuccess {
			rec.Output, rec.OutputCut = tail.String()
		}
		halt := j.opts.HaltOnFailure && result != fleet.ResultSuccess
		if !j.writeFinish(c, rec, halt) {
			j.spool(rec, halt)
		}
	}
	if j.cfg.MetricsTextfileDir != "" {
		if err := writeMetrics(j.cfg.MetricsTextfileDir, rec); err != nil {
			j.log.Warn().Err(err).Msg("could not write the metrics textfile")
		}
	}
}

func durString(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}

// killSwitch hands a kill request from the guard to the child, which may
// not have started yet when the guard sees the request.
type killSwitch struct {
	mu    sync.Mutex
	child *supervise.Child
	sig   syscall.Signal
}

// request is the guard's OnKill.
func (k *killSwitch) request(sig syscall.Signal) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sig = sig
	if k.child != nil {
		k.child.Stop(sig)
	}
}

// attach gives the started child; a request that came first is served now.
func (k *killSwitch) attach(c *supervise.Child) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.child = c
	if k.sig != 0 {
		c.Stop(k.sig)
	}
}

// checkInterval skips a start within --min-interval of the last start
// anywhere in the fleet (info log, exit 0). A ZooKeeper error fails the
// run: without the check the job could run twice.
func (j *job) checkInterval(c *conn) error {
	if j.opts.MinInterval <= 0 {
		return nil
	}
	ok, since, err := lock.NewStartClaim(c.sess, j.cfg.Prefix, j.opts.LockName).Claim(j.opts.MinInterval)
	if err != nil || ok {
		return err
	}
	j.log.Info().Str("lock", j.opts.LockName).Dur("since_last_start", since).Dur("min_interval", j.opts.MinInterval).
		Msg("started recently elsewhere; not running")
	return errSkip
}
