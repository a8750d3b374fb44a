package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/acme/switchman/fleet"
)

// heartbeatEvery is how often a host writes its heartbeat
// (PREFIX/hosts/HOST) for `check hosts`: rarely enough that the fleet's
// cron runs do not become ZooKeeper writes, often enough for any sensible
// --max-age (the default is 25h).
const heartbeatEvery = 10 * time.Minute

// heartbeatStamp returns the local file whose modification time says when
// this host last wrote its heartbeat to this ZooKeeper prefix, and whether
// the heartbeat is due. The stamp lives in the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache); where there is none to write, there is no
// heartbeat (run records still count as signs of life), rather than a
// write on every run.
//
// Most runs find a fresh stamp: one stat, no write, no request.
func (j *job) heartbeatStamp(now time.Time) (stamp string, due bool) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	stamp = filepath.Join(dir, "switchman", "heartbeat-"+j.stateKey())
	st, err := os.Stat(stamp)
	if err == nil {
		return stamp, now.Sub(st.ModTime()) >= heartbeatEvery || st.ModTime().After(now)
	}
	// No stamp yet: make its directory; heartbeat writes the stamp.
	if os.MkdirAll(filepath.Dir(stamp), 0o700) != nil {
		return "", false
	}
	return stamp, true
}

// heartbeat writes this host's heartbeat when it is due. The stamp is
// written first: a user who cannot write it writes no heartbeat (never one
// per run); a failed ZooKeeper write removes it, so the next run retries.
// It runs alongside the checks' reads (readPreflight), so it adds no round
// trip of its own; a failure is logged at debug level only.
func (j *job) heartbeat(c *conn) {
	now := time.Now()
	stamp, due := j.heartbeatStamp(now)
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
		j.log.Debug().Err(err).Str("stamp", stamp).Msg("no heartbeat: stamp not writable")
		return
	}
	if err := c.store.Heartbeat(fleet.Beat{Host: j.host, Seen: now.UTC(), Version: version}); err != nil {
		j.log.Debug().Err(err).Msg("heartbeat not written")
		_ = os.Remove(stamp)
	}
}
