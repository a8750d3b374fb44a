package job

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/acme/switchman/config"
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
		fmt.Fprintf(j.env.Stderr, "switchman: %s is halted: its run on %s at %s ended in %s; not running. "+
			"Fix the cause, then run: switchman resume %s\n",
			j.opts.LockName, h.Host, h.When.Local().Format(time.DateTime), h.Result, j.opts.LockName)
		return errSkip
	}
	return nil
}

// recorder returns the run's fleet.Recorder on c (nil: a run that asks
// ZooKeeper nothing, whose record only feeds the metrics textfile).
func (j *job) recorder(c *fleet.Client) *fleet.Recorder {
	var store *fleet.Store
	if c != nil {
		store = c.Store()
	}
	return fleet.NewRecorder(store, fleet.RecorderOptions{
		Lock: j.opts.LockName, Host: j.host, Group: j.opts.Group, Expected: durString(j.opts.ExpectedDuration),
		HistoryRuns: j.cfg.HistoryRuns, HaltOnFailure: j.opts.HaltOnFailure, NoRecord: j.opts.NoLock,
		StateDir: config.CacheDir(), Servers: j.cfg.ZKHosts, Version: j.env.Version, Logger: j.log,
		Slot: j.slotTime(), CaughtUp: j.slot != nil && j.slot.caughtUp, // a catch-up's run: records tell it apart
		Splay:  j.splayed,
		Retry:  j.opts.Retry,
		Notify: j.opts.Notify,
		Event:  j.eventRule(),
	})
}

// recordFinish writes the run record (see fleet.Recorder.Finish) and the
// metrics textfile at finish; failures are logged only.
func (j *job) recordFinish(r supervise.Result, result string, tail *supervise.Tail, retried bool) {
	end := fleet.End{PID: r.PID, Wall: r.Wall, ExitCode: r.ExitCode, Result: result, MaxRSSKB: r.MaxRSSKB,
		CPU: r.CgroupCPU, MemoryPeak: r.CgroupMemoryPeak, Retried: retried}
	if tail != nil {
		end.Output, end.OutputCut = tail.String()
	}
	rec := j.rec.Finish(end)
	j.decideEvent(rec)
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

// requested says whether a kill was requested: a retry then starts no
// further attempt.
func (k *killSwitch) requested() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sig != 0
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
func (j *job) checkInterval(c *fleet.Client) error {
	if j.opts.MinInterval <= 0 {
		return nil
	}
	ok, since, err := lock.NewStartClaim(c.Session(), j.cfg.Prefix, j.opts.LockName).Claim(j.opts.MinInterval)
	if err != nil || ok {
		return err
	}
	j.log.Info().Str("lock", j.opts.LockName).Dur("since_last_start", since).Dur("min_interval", j.opts.MinInterval).
		Msg("started recently elsewhere; not running")
	return errSkip
}
