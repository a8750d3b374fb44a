package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
)

// The run history of a job is kept in the data of its node PREFIX/runs/LOCK
// (the parent of its run records). A run reads it with its other reads
// before the start (pipelined: no round trip of its own) and its finish
// writes it in the same multi-request as the run record, compared against
// the version read: history costs the hot path no extra round trip.

// DefaultHistoryRuns is how many runs a job's history keeps unless
// configured (history_runs).
const DefaultHistoryRuns = 50

// MaxHistoryBytes bounds a job's history node: far below ZooKeeper's 1 MB
// node limit and cheap to replicate and to read at every start. Failure
// output is dropped from the oldest runs first to stay within it, then the
// oldest runs themselves.
const MaxHistoryBytes = 64 << 10

// PastRun is one finished run in a job's history.
type PastRun struct {
	Host  string    `json:"host"`
	Start time.Time `json:"start"`
	Outcome
	Token    int64  `json:"fencing_token,omitempty"`
	Expected string `json:"expected_duration,omitempty"`
	// Slot is the scheduled time the run claimed, if any.
	Slot time.Time `json:"slot,omitzero"`
	// CaughtUp says that a catch-up ran the slot after it was missed.
	CaughtUp bool `json:"caught_up,omitempty"`
	// Output is the tail of what a failing run wrote to stdout and stderr.
	Output string `json:"output,omitempty"`
	// OutputCut says that Output is only the end of a longer output.
	OutputCut bool `json:"output_cut,omitempty"`
	// Notify is the notifier the run named (--notify), if any.
	Notify string `json:"notify,omitempty"`
	// Event is the notification the run fired (failed, recovered, ...):
	// claimed by being written here, in the finish's one write, so that
	// no other host sends it.
	Event string `json:"event,omitempty"`
}

// jobLog is the content of a job's node: its last runs, oldest first.
type jobLog struct {
	Runs []PastRun `json:"runs"`
	// Notices are the events claimed outside a finish (see Notice),
	// oldest first.
	Notices []Notice `json:"notices,omitempty"`
}

// History is a job's history as read before a run, for RecordFinish to
// extend (see Run.Extends).
type History struct {
	log     jobLog
	version int32
}

// ReadHistory reads the history of job lock for a run's finish to extend;
// nil when the job has none yet. One read.
func (s *Store) ReadHistory(lock string) (*History, error) {
	h, _, err := s.readJobLog(lock)
	return h, err
}

// Extends makes r's finish extend h (nil: read the history at finish).
func (r *Run) Extends(h *History) { r.hist = h }

func (s *Store) jobPath(lock string) string { return s.path(RunsDir, lock) }

// readJobLog reads the job node; ok is false when the node is missing.
// Content that does not decode (the empty data of an older layout) reads
// as an empty log.
func (s *Store) readJobLog(lock string) (h *History, ok bool, err error) {
	b, st, err := s.get(s.jobPath(lock))
	if b == nil || err != nil {
		return nil, false, err
	}
	h = &History{version: st.Version}
	_ = json.Unmarshal(b, &h.log)
	return h, true, nil
}

// RunHistory returns the last runs of job lock, oldest first: one read.
func (s *Store) RunHistory(lock string) ([]PastRun, error) {
	h, _, err := s.readJobLog(lock)
	if err != nil || h == nil {
		return nil, err
	}
	return h.log.Runs, nil
}

// appendRun adds r to the log, keeping at most keep runs within
// MaxHistoryBytes, and returns the encoded log.
func (l *jobLog) appendRun(r *Run, keep int) ([]byte, error) {
	if keep <= 0 {
		keep = DefaultHistoryRuns
	}
	l.Runs = append(l.Runs, PastRun{Host: r.Host, Start: r.Start, Outcome: r.Outcome, Token: r.Token, Expected: r.Expected,
		Slot: r.Slot, CaughtUp: r.CaughtUp, Output: r.Output, OutputCut: r.OutputCut, Event: r.Event, Notify: r.Notify})
	if n := len(l.Runs) - keep; n > 0 {
		l.Runs = l.Runs[n:]
	}
	return l.fit()
}

// fit encodes the log within MaxHistoryBytes: it drops the output of the
// oldest runs first, then the oldest runs.
func (l *jobLog) fit() ([]byte, error) {
	for dropped := 0; ; {
		b, err := json.Marshal(l)
		if err != nil || len(b) <= MaxHistoryBytes {
			return b, err
		}
		for dropped < len(l.Runs) && l.Runs[dropped].Output == "" {
			dropped++
		}
		if dropped < len(l.Runs) {
			l.Runs[dropped].Output, l.Runs[dropped].OutputCut = "", false
			continue
		}
		if len(l.Runs) == 0 {
			return nil, fmt.Errorf("history of %d bytes does not fit in %d", len(b), MaxHistoryBytes)
		}
		l.Runs = l.Runs[1:]
		dropped = 0
	}
}

// finishWrite writes the run record and the job's extended history in one
// multi-request, compared against the history version read at start. When
// another run's finish came between (a version conflict), it re-reads the
// history and tries again; a missing node falls back to separate writes.
func (s *Store) finishWrite(r *Run, rec []byte, keep int) error {
	h := r.hist
	for attempt := 0; attempt < 3; attempt++ {
		if h == nil {
			var err error
			if h, _, err = s.readJobLog(r.Lock); err != nil {
				return err
			}
			if h == nil {
				break // no job node yet: the record's put creates it
			}
		}
		prior := slices.Clone(h.log.Runs)
		r.claimEvent(prior, h.log.Notices)
		hb, err := h.log.appendRun(r, keep)
		if err != nil {
			return err
		}
		_, err = s.conn.Multi(
			&zk.SetDataRequest{Path: s.runPath(r.Lock, r.Host), Data: rec, Version: -1},
			&zk.SetDataRequest{Path: s.jobPath(r.Lock), Data: hb, Version: h.version},
		)
		switch {
		case err == nil:
			r.prior, r.priorOK = prior, true
			return nil
		case errors.Is(err, zk.ErrBadVersion):
			h = nil // another finish came first: extend the newer history
		case errors.Is(err, zk.ErrNoNode):
			return s.putRecordAndLog(r, rec, keep)
		default:
			return wrapPut(s.runPath(r.Lock, r.Host), err)
		}
	}
	return s.putRecordAndLog(r, rec, keep)
}

// putRecordAndLog is the slow path of finishWrite: the record, then the
// history, as separate writes (the record's nodes may have been deleted).
func (s *Store) putRecordAndLog(r *Run, rec []byte, keep int) error {
	if err := s.put(s.runPath(r.Lock, r.Host), rec); err != nil {
		return err
	}
	h, _, err := s.readJobLog(r.Lock)
	if err != nil || h == nil {
		return err
	}
	prior := slices.Clone(h.log.Runs)
	r.claimEvent(prior, h.log.Notices)
	hb, err := h.log.appendRun(r, keep)
	if err != nil {
		return err
	}
	_, err = s.conn.Set(s.jobPath(r.Lock), hb, h.version)
	if errors.Is(err, zk.ErrBadVersion) {
		return nil // a concurrent finish won; losing one history entry beats looping
	}
	if err == nil {
		r.prior, r.priorOK = prior, true
	}
	return wrapPut(s.jobPath(r.Lock), err)
}
