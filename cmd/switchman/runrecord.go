package main

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/supervise"
)

// checkHalt refuses to start a --halt-on-failure job while its last
// finished run failed. The skip is said on stderr (cron mails it) with the
// command that clears it. One read, only with --halt-on-failure.
func (j *job) checkHalt(pf *preflight) (bool, error) {
	if !j.opts.HaltOnFailure {
		return true, nil
	}
	h, err := pf.halt, pf.haltErr
	if err != nil {
		return false, err
	}
	if h == nil {
		return true, nil
	}
	fmt.Fprintf(j.app.Stderr, "switchman: %s is halted: its run on %s at %s ended in %s; not running. "+
		"Fix the cause, then run: switchman resume %s\n",
		j.opts.LockName, h.Host, h.When.Local().Format(time.DateTime), h.Result, j.opts.LockName)
	return false, j.skipped()
}

// waitRecord remembers what recordWaiting replaced.
type waitRecord struct {
	wrote bool
	prev  *fleet.Run
}

// recordWaiting marks the run record waiting when the run first has to
// wait in a queue (leases, then --wait: the second wait finds it done); a
// run that gets everything at once never writes it. A ZooKeeper hiccup
// here is logged only.
func (j *job) recordWaiting() {
	if j.opts.NoLock || j.waitRec.wrote {
		return // such runs keep no record, or it says waiting already
	}
	prev, wrote, err := j.store.RecordWaiting(j.opts.LockName, j.host, j.opts.Group)
	if err != nil {
		j.log.Warn().Err(err).Msg("could not record that the run waits")
		return
	}
	j.waitRec = waitRecord{wrote: wrote, prev: prev}
}

// restoreRecord undoes recordWaiting after a wait that ended without a run
// (timeout, signal, lock taken meanwhile): the record says again what the
// last run did.
func (j *job) restoreRecord() {
	if !j.waitRec.wrote || j.sess == nil {
		return
	}
	if err := j.store.RestoreRecord(j.opts.LockName, j.host, j.waitRec.prev); err != nil {
		j.log.Warn().Err(err).Msg("could not restore the run record after the wait")
	}
}

// recordStart writes the run record at start. A ZooKeeper hiccup here is
// logged and never fails the job.
func (j *job) recordStart(pid int) {
	if j.sess == nil || j.opts.NoLock {
		return
	}
	j.run = &fleet.Run{Lock: j.opts.LockName, Host: j.host, Group: j.opts.Group, PID: pid,
		Start: time.Now().UTC(), Expected: durString(j.opts.ExpectedDuration)}
	if j.held != nil {
		j.run.Token = j.held.Token
	}
	if err := j.store.RecordStart(j.run); err != nil {
		j.log.Warn().Err(err).Msg("could not record the run's start; the job runs anyway")
	}
}

// recordFinish writes the run record, the halt marker and the metrics
// file at finish; failures are logged only.
func (j *job) recordFinish(r supervise.Result, result string) {
	if j.run == nil {
		j.run = &fleet.Run{Lock: j.opts.LockName, Host: j.host, Group: j.opts.Group, PID: r.PID,
			Start: time.Now().Add(-r.Wall).UTC()}
	}
	j.run.Finish = time.Now().UTC()
	j.run.ExitCode, j.run.Result = r.ExitCode, result
	j.run.DurationMS, j.run.MaxRSSKB = r.Wall.Milliseconds(), r.MaxRSSKB
	if j.sess != nil && !j.opts.NoLock {
		if err := j.store.RecordFinish(j.run); err != nil {
			j.log.Warn().Err(err).Msg("could not record the run's finish")
		}
		if j.opts.HaltOnFailure && result != fleet.ResultSuccess {
			err := j.store.SetHalt(j.opts.LockName, fleet.Halt{Host: j.host, When: j.run.Finish, Result: result})
			if err != nil {
				j.log.Warn().Err(err).Msg("could not store the halt marker")
			}
		}
	}
	if j.cfg.MetricsTextfileDir != "" {
		if err := writeMetrics(j.cfg.MetricsTextfileDir, j.run); err != nil {
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
func (j *job) checkInterval() (bool, error) {
	if j.opts.MinInterval <= 0 {
		return true, nil
	}
	ok, since, err := j.sess.ClaimStart(j.cfg.Prefix, j.opts.LockName, j.opts.MinInterval)
	if err != nil || ok {
		return ok, err
	}
	j.log.Info().Str("lock", j.opts.LockName).Dur("since_last_start", since).Dur("min_interval", j.opts.MinInterval).
		Msg("started recently elsewhere; not running")
	return false, j.skipped()
}
