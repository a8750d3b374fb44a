package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"github.com/acme/switchman/lock"
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
func (j *job) heartbeatStamp(now time.Time) (stamp string, due bool) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	dir = filepath.Join(dir, "switchman")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", j.cfg.ZKHosts, j.cfg.Prefix, j.host)
	stamp = filepath.Join(dir, fmt.Sprintf("heartbeat-%016x", h.Sum64()))
	st, err := os.Stat(stamp)
	return stamp, err != nil || now.Sub(st.ModTime()) >= heartbeatEvery || st.ModTime().After(now)
}

// heartbeat writes this host's heartbeat when it is due, then touches the
// stamp. It runs alongside the checks' reads (readPreflight), so it adds
// no round trip of its own; a failure is logged at debug level only.
func (j *job) heartbeat() {
	now := time.Now()
	stamp, due := j.heartbeatStamp(now)
	if !due {
		return
	}
	if err := j.sess.Heartbeat(j.cfg.Prefix, lock.Beat{Host: j.host, Seen: now.UTC(), Version: version}); err != nil {
		j.log.Debug().Err(err).Msg("heartbeat not written")
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
		j.log.Debug().Err(err).Str("stamp", stamp).Msg("heartbeat stamp not written")
	}
}
