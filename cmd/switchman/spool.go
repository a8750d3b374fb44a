package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/switchman/fleet"
)

// finishWait bounds how long the run's last writes (the finish record and
// the halt marker) may wait for ZooKeeper once the command is gone. Past
// it (a self-fence in a partition) they go to the spool and switchman
// exits: the command is dead, and a wrapper that lingers until ZooKeeper
// answers again only hides the outcome.
const finishWait = time.Second

// spoolMaxAge is how long a spooled record is kept for a later run to
// write; past it, the stored record has long been replaced or shown as
// lost.
const spoolMaxAge = 7 * 24 * time.Hour

// spooled is a finish record that could not be written to ZooKeeper.
type spooled struct {
	Run  fleet.Run `json:"run"`
	Halt bool      `json:"halt,omitempty"`
}

// stateKey names this host's per-user state for one ZooKeeper prefix (the
// heartbeat stamp, the spool): runs against another ensemble or prefix
// keep their own.
func (j *job) stateKey() string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", j.cfg.ZKHosts, j.cfg.Prefix, j.host)
	return fmt.Sprintf("%016x", h.Sum64())
}

// spoolDir is the directory of this host's spooled records, in the user's
// cache directory; "" when there is none.
func (j *job) spoolDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "switchman", "spool-"+j.stateKey())
}

// writeFinish writes the finish record, and the halt marker when halt is
// set, waiting at most finishWait; it reports whether both were written.
//
// It waits even without a connection: one that comes back within
// finishWait (a server restart) lets the record be written and the session
// be closed, which releases the lock at once instead of after S.
func (j *job) writeFinish(c *conn, rec *fleet.Run, halt bool) bool {
	r := *rec // RecordFinish fills in its copy
	done := make(chan error, 1)
	go func() {
		err := c.store.RecordFinish(&r, j.cfg.HistoryRuns)
		if err == nil && halt {
			err = c.store.SetHalt(r.Lock, fleet.Halt{Host: r.Host, When: r.Finish, Result: r.Result})
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			j.log.Warn().Err(err).Msg("could not record the run's finish; spooling it")
		}
		return err == nil
	case <-time.After(finishWait):
		return false
	}
}

// spool keeps the finish record in the local spool, for the next run on
// this host that reaches ZooKeeper (flushSpool). The file is written
// whole, then renamed, so a reader never sees half of it.
func (j *job) spool(rec *fleet.Run, halt bool) {
	dir := j.spoolDir()
	if dir == "" {
		j.log.Warn().Msg("run's finish not recorded: ZooKeeper unreachable and no cache directory to spool it")
		return
	}
	b, _ := json.Marshal(spooled{Run: *rec, Halt: halt})
	name := fmt.Sprintf("%s@%s-%d.json", rec.Lock, rec.Host, rec.Start.UnixNano())
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".tmp"), b, 0o600)
	}
	if err == nil {
		err = os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name))
	}
	if err != nil {
		j.log.Warn().Err(err).Msg("run's finish not recorded: ZooKeeper unreachable and the spool not writable")
		return
	}
	j.log.Info().Str("lock", rec.Lock).Str("spool", dir).Msg("ZooKeeper unreachable at finish; run record spooled for the next run")
}

// flushSpool writes the finish records earlier runs on this host spooled.
// Most runs find no spool: one failed directory read, no request. A
// record that cannot be written now stays for the next run; one that a
// later run replaced already, or older than spoolMaxAge, is dropped.
func (j *job) flushSpool(c *conn) {
	dir := j.spoolDir()
	if c == nil || dir == "" {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if j.flushOne(c, p) {
			_ = os.Remove(p)
		}
	}
}

// flushOne writes one spooled record; it reports whether the file is done
// with.
func (j *job) flushOne(c *conn, p string) bool {
	b, err := os.ReadFile(p)
	var s spooled
	if err != nil || json.Unmarshal(b, &s) != nil {
		return true // unreadable: nothing to deliver
	}
	if time.Since(s.Run.Finish) > spoolMaxAge {
		return true
	}
	wrote, err := c.store.FlushRecord(&s.Run, s.Halt)
	if err != nil {
		j.log.Debug().Err(err).Str("file", p).Msg("spooled run record not written yet")
		return false
	}
	j.log.Info().Str("lock", s.Run.Lock).Bool("written", wrote).Time("finish", s.Run.Finish).Msg("spooled run record delivered")
	return true
}
