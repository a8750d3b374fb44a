package fleet

import (
	"os"
	"time"
)

// heartbeatEvery is how often a host writes its heartbeat
// (PREFIX/hosts/HOST) for `check hosts`: rarely enough that the fleet's
// cron runs do not become ZooKeeper writes, often enough for any sensible
// --max-age (the default is 25h).
const heartbeatEvery = 10 * time.Minute

// heartbeatStamp returns the local file whose modification time says when
// this host last wrote its heartbeat to this ZooKeeper prefix, and whether
// the heartbeat is due at now. Where there is no state directory to write,
// there is no heartbeat (run records still count as signs of life), rather
// than a write on every run.
//
// Most runs find a fresh stamp: one stat, no write, no request.
func (r *Recorder) heartbeatStamp(now time.Time) (stamp string, due bool) {
	stamp = r.stateFile("heartbeat")
	if stamp == "" {
		return "", false
	}
	st, err := os.Stat(stamp)
	if err == nil {
		return stamp, now.Sub(st.ModTime()) >= heartbeatEvery || st.ModTime().After(now)
	}
	// No stamp yet: make its directory; Heartbeat writes the stamp.
	if os.MkdirAll(r.o.StateDir, 0o700) != nil {
		return "", false
	}
	return stamp, true
}

// Heartbeat writes this host's heartbeat when it is due (every
// heartbeatEvery). The stamp is written first: a user who cannot write it
// writes no heartbeat (never one per run); a failed ZooKeeper write
// removes it, so the next run retries. A failure is logged at debug level
// only. It may run alongside ReadLast and the caller's other reads.
func (r *Recorder) Heartbeat() {
	if r.s == nil {
		return
	}
	now := time.Now()
	stamp, due := r.heartbeatStamp(now)
	if !due {
		return
	}
	f, err := os.OpenFile(stamp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.Chtimes(stamp, now, now)
	}
	if err != nil {
		r.log.Debug().Err(err).Str("stamp", stamp).Msg("no heartbeat: stamp not writable")
		return
	}
	if err := r.s.Heartbeat(Beat{Host: r.o.Host, Seen: now.UTC(), Version: r.o.Version}); err != nil {
		r.log.Debug().Err(err).Msg("heartbeat not written")
		_ = os.Remove(stamp)
	}
}
