package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/procstat"
)

// The host-local state of a Recorder lives in RecorderOptions.StateDir,
// keyed by the ensemble, the prefix and the host (stateKey):
//
//	heartbeat-KEY        the stamp whose mtime spaces the heartbeats
//	spool-KEY/LOCK@HOST-STARTNANOS.json
//	                     finish records ZooKeeper could not take (spooled)
//	spool-KEY/LOCK@HOST-restore-NANOS.json
//	                     waiting records it could not undo (spoolRestore)

// spoolMaxAge is how long a spooled record is kept for a later run to
// write; past it, the stored record has long been replaced or shown as
// lost.
const spoolMaxAge = 7 * 24 * time.Hour

// spooled is a finish record that could not be written to ZooKeeper.
type spooled struct {
	Run  Run  `json:"run"`
	Halt bool `json:"halt,omitempty"`
	// Restore marks the undoing of a waiting record that ZooKeeper could
	// not take (see Recorder.Restore): Run then names the lock and host,
	// Prev is what goes back (nil: the record is deleted) and Spooled
	// when.
	Restore bool      `json:"restore,omitempty"`
	Prev    *Run      `json:"prev,omitempty"`
	Spooled time.Time `json:"spooled,omitzero"`
}

// stateFile returns the path of the host-local state file or directory
// kind ("heartbeat", "spool") of this host for the store's ensemble and
// prefix, or "" when there is no state directory.
func (r *Recorder) stateFile(kind string) string {
	if r.o.StateDir == "" {
		return ""
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", r.o.Servers, r.s.Prefix(), r.o.Host)
	return filepath.Join(r.o.StateDir, fmt.Sprintf("%s-%016x", kind, h.Sum64()))
}

// spool keeps the finish record in the local spool, for the next run on
// this host that reaches ZooKeeper (Flush). The file is written whole,
// then renamed, so a reader never sees half of it.
func (r *Recorder) spool(rec *Run, halt bool) {
	dir := r.stateFile("spool")
	if dir == "" {
		r.log.Warn().Msg("run's finish not recorded: ZooKeeper unreachable and no cache directory to spool it")
		return
	}
	name := fmt.Sprintf("%s@%s-%d.json", rec.Lock, rec.Host, rec.Start.UnixNano())
	if err := writeSpooled(dir, name, spooled{Run: *rec, Halt: halt}); err != nil {
		r.log.Warn().Err(err).Msg("run's finish not recorded: ZooKeeper unreachable and the spool not writable")
		return
	}
	r.log.Info().Str("lock", rec.Lock).Str("spool", dir).Msg("ZooKeeper unreachable at finish; run record spooled for the next run")
}

// spoolRestore keeps the undoing of this run's waiting record (prev goes
// back) for the next run on this host that reaches ZooKeeper, so that the
// record does not say "waiting" for a run long gone.
func (r *Recorder) spoolRestore(prev *Run) {
	dir := r.stateFile("spool")
	if dir == "" {
		return
	}
	now := time.Now().UTC()
	name := fmt.Sprintf("%s@%s-restore-%d.json", r.o.Lock, r.o.Host, now.UnixNano())
	sp := spooled{Run: Run{Lock: r.o.Lock, Host: r.o.Host}, Restore: true, Prev: prev, Spooled: now}
	if err := writeSpooled(dir, name, sp); err != nil {
		r.log.Warn().Err(err).Msg("run record left waiting: ZooKeeper unreachable and the spool not writable")
		return
	}
	r.log.Info().Str("lock", r.o.Lock).Str("spool", dir).Msg("ZooKeeper unreachable after the wait; the record's undoing spooled for the next run")
}

// writeSpooled writes sp as dir/name: whole, then renamed, so that a
// reader never sees half of it.
func writeSpooled(dir, name string, sp spooled) error {
	b, _ := json.Marshal(sp)
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".tmp"), b, 0o600)
	}
	if err == nil {
		err = os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name))
	}
	return err
}

// Flush writes the finish records that earlier runs on this host spooled
// (of any job). Most runs find no spool: one failed directory read, no
// request. A record that cannot be written now stays for the next run;
// one that a later run replaced already, or older than spoolMaxAge, is
// dropped.
func (r *Recorder) Flush() {
	if r.s == nil {
		return
	}
	dir := r.stateFile("spool")
	if dir == "" {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	me := claimant()
	for _, e := range entries {
		name := e.Name()
		if i := strings.LastIndex(name, flushingMark); i > 0 {
			reclaimStale(dir, name, name[:i], name[i+len(flushingMark):])
			name = name[:i]
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		// Runs of one host start together and flush together: the one
		// whose rename succeeds owns the record, so a late event is found
		// and sent once, however slow the write is.
		p := filepath.Join(dir, name)
		mine := p + flushingMark + me
		if os.Rename(p, mine) != nil {
			continue // another run has it, or had it
		}
		if r.flushOne(mine) {
			_ = os.Remove(mine)
		} else {
			_ = os.Rename(mine, p)
		}
	}
}

// flushingMark and the claimant end the name of a spooled record that
// the run named by the claimant is writing (see Flush).
const flushingMark = ".flushing-"

// claimant names this process in a claimed record's name: "PID-START",
// its pid and start time (package procstat), which no later process
// that reuses the pid shares; or "PID" alone where /proc cannot say.
func claimant() string {
	self, err := procstat.Self()
	if err != nil {
		return strconv.Itoa(os.Getpid())
	}
	return strconv.Itoa(self.PID) + "-" + strconv.FormatUint(self.Start, 10)
}

// claimGone reports whether the run that a claimant names has ended. A
// claimant without a start time (written where /proc could not say, or
// by an older switchman) is gone when no process has its pid; a reused
// pid then holds the record back until that process ends too.
func claimGone(claim string) bool {
	pid, start, timed := strings.Cut(claim, "-")
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	if !timed {
		return syscall.Kill(n, 0) == syscall.ESRCH
	}
	t, err := strconv.ParseUint(start, 10, 64)
	if err != nil {
		return false
	}
	return procstat.Proc{PID: n, Start: t}.Gone()
}

// reclaimStale puts back the spooled record name, claimed by a run that
// died while it wrote it, for this flush to claim in turn.
func reclaimStale(dir, name, orig, claim string) {
	if claimGone(claim) {
		_ = os.Rename(filepath.Join(dir, name), filepath.Join(dir, orig))
	}
}

// flushOne writes one spooled record; it reports whether the file is done
// with.
func (r *Recorder) flushOne(p string) bool {
	b, err := os.ReadFile(p)
	var s spooled
	if err != nil || json.Unmarshal(b, &s) != nil {
		return true // unreadable: nothing to deliver
	}
	if s.Restore {
		if time.Since(s.Spooled) > spoolMaxAge {
			return true
		}
		if err := r.s.RestoreRecord(s.Run.Lock, s.Run.Host, s.Prev); err != nil && !errors.Is(err, zk.ErrNoNode) {
			r.log.Debug().Err(err).Str("file", p).Msg("spooled restore not written yet")
			return false
		}
		r.log.Info().Str("lock", s.Run.Lock).Msg("spooled restore of a waiting record delivered")
		return true
	}
	if time.Since(s.Run.Finish) > spoolMaxAge {
		return true
	}
	wrote, err := r.s.FlushRecord(&s.Run, s.Halt)
	if err != nil {
		r.log.Debug().Err(err).Str("file", p).Msg("spooled run record not written yet")
		return false
	}
	r.log.Info().Str("lock", s.Run.Lock).Bool("written", wrote).Time("finish", s.Run.Finish).Msg("spooled run record delivered")
	if !wrote {
		r.findLate(&s.Run)
	}
	return true
}

// LateEvent is an event that a run's finish claimed in the job's history
// after the run had stopped waiting for the write (finishWait) and spooled
// its record: that run never sent it. The next run on the host finds it
// when it flushes the spool (Recorder.LateEvents), and sends it.
type LateEvent struct {
	Lock string
	PastRun
}

// findLate looks, for a spooled record that was written meanwhile (a
// finish that committed after finishWait), for the event its finish
// claimed in the job's history.
func (r *Recorder) findLate(rec *Run) {
	runs, err := r.s.RunHistory(rec.Lock)
	if err != nil {
		return
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Host == rec.Host && runs[i].Start.Equal(rec.Start) {
			if runs[i].Event != "" {
				r.late = append(r.late, LateEvent{Lock: rec.Lock, PastRun: runs[i]})
			}
			return
		}
	}
}

// LateEvents returns the events claimed late by the runs whose spooled
// records Flush found written (see LateEvent). The spool file of each is
// gone, so no later run returns it again.
func (r *Recorder) LateEvents() []LateEvent { return r.late }
