package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/lock"
)

// RunsDir holds run records: PREFIX/runs/LOCK/HOST, persistent JSON nodes.
// HaltsDir holds halt markers: PREFIX/halts/LOCK exists while a job run
// with --halt-on-failure must not start.
const (
	RunsDir  = "runs"
	HaltsDir = "halts"
)

// Run states, as stored in run records.
const (
	StateWaiting  = "waiting"
	StateRunning  = "running"
	StateFinished = "finished"
	// StateLost is never stored: Runs reports it for a record that says
	// running while its lock is gone or another run's, i.e. the session of
	// the switchman that wrote it has ended without a finish record
	// (self-fenced in a partition, SIGKILLed, host down). Its outcome may
	// still arrive from that host's spool (see FlushRecord).
	StateLost = "lost"
)

// Results of a finished run, as stored in run records and histories (and
// shown by status, history, the checks and the dashboard).
const (
	// ResultSuccess: the command exited 0.
	ResultSuccess = "success"
	// ResultFailure: the command exited non-zero, or was killed by a
	// signal switchman did not send.
	ResultFailure = "failure"
	// ResultTimeout: switchman stopped the command at --timeout.
	ResultTimeout = "timeout"
	// ResultMoved: switchman stopped the command because the host left the
	// run's group (an operator's move), a planned stop.
	ResultMoved = "moved"
	// ResultLostLock: switchman stopped the command because the run lost
	// its permission (the lock, a lease, the session).
	ResultLostLock = "lost-lock"
	// ResultKilled: the command was SIGKILLed while it ran (its grace ran
	// out), or stopped on an operator's kill request.
	ResultKilled = "killed"
)

// Outcome is how a run ended: the part of a run record that a job's
// history keeps for every finished run (PastRun).
type Outcome struct {
	Finish     time.Time `json:"finish,omitzero"`
	ExitCode   int       `json:"exit_code"`
	Result     string    `json:"result,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	MaxRSSKB   int64     `json:"max_rss_kb"`
	// CPUMS is the CPU time, user and system, of every process of the
	// run, however it left the command's process tree, and MemoryPeakKB
	// the peak memory of all of them together: both from the run's
	// cgroup, absent for a run without one (or without the memory
	// controller).
	CPUMS        int64 `json:"cpu_ms,omitempty"`
	MemoryPeakKB int64 `json:"memory_peak_kb,omitempty"`
	// Attempt is the run's attempt number under --retry (1 for the
	// first); 0, left out, for a run without --retry.
	Attempt int `json:"attempt,omitempty"`
	// Retried says that the attempt failed and another attempt followed
	// it on the same host under the same lock: not the job's outcome, so
	// it fires no event and counts in no streak of failures.
	Retried bool `json:"retried,omitempty"`
}

// Run is the record of the last run of a job on a host.
type Run struct {
	Lock  string    `json:"lock"`
	Host  string    `json:"host"`
	Group string    `json:"group,omitempty"`
	State string    `json:"state"`
	PID   int       `json:"pid,omitempty"`
	Start time.Time `json:"start"`
	Outcome
	LastSuccess time.Time `json:"last_success,omitzero"`
	Token       int64     `json:"fencing_token,omitempty"`
	// Expected is the --expected-duration of the run, if any.
	Expected string `json:"expected_duration,omitempty"`
	// Slot is the scheduled time the run claimed (--schedule), if any.
	Slot time.Time `json:"slot,omitzero"`
	// CaughtUp says that `switchman catch-up` ran the slot after it was
	// missed.
	CaughtUp bool `json:"caught_up,omitempty"`
	// Notify is the notifier the run named (--notify), if any: events
	// noticed later (a reminder, by a check) go through it too.
	Notify string `json:"notify,omitempty"`
	// WaitingSince is set, with state waiting, while a run waits in a
	// queue (--lease, --wait); the other fields are then still the last
	// run's.
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	// SplayMS is the --splay offset, in milliseconds, that the run waited
	// before it connected, so that its Start is read against its own
	// offset in the tick (0, left out: no splay).
	SplayMS int64 `json:"splay_ms,omitempty"`
	// ConnectAttempts is how many connections the run tried before its
	// session was up and the record written, when more than one (a busy
	// or refusing ensemble, a server that went away): 0, and left out of
	// the stored record, when the first server tried answered.
	ConnectAttempts int64 `json:"connect_attempts,omitempty"`
	// Output and OutputCut, set by the caller before RecordFinish, are
	// the tail of a failing run's output for the job's history (not part
	// of the record).
	Output    string `json:"-"`
	OutputCut bool   `json:"-"`

	// hist is the job's history as read before the start (see Extends).
	hist *History
	// Event is the notification event the run fired, decided by decide
	// from the runs before it when its finish writes the history (see
	// RecorderOptions.Event); "": none.
	Event  string `json:"-"`
	decide func(prior []PastRun, notices []Notice) string

	// prior is the history the finish extended, before this run; priorOK
	// says the finish wrote this run into it (see Prior).
	prior   []PastRun
	priorOK bool
}

// Prior returns the job's finished runs fleet-wide, oldest first, that
// this run's finish record followed in the job's history, and ok true
// once the finish wrote the run into it. Each run is appended once, after
// a compare against the history's version, so no two finishes ever see the
// same prior runs: what is decided from them (the run's notification) is
// decided once fleet-wide. ok is false for a finish that was not written
// (spooled, no record) or whose history entry was lost to a concurrent
// finish on the slow path.
func (r *Run) Prior() ([]PastRun, bool) { return r.prior, r.priorOK }

// claimEvent decides the run's event from prior, the runs before it in
// the history about to be written with it; a retry after a concurrent
// finish decides again from the newer history.
func (r *Run) claimEvent(prior []PastRun, notices []Notice) {
	if r.decide != nil {
		r.Event = r.decide(prior, notices)
	}
}

// Halt is a halt marker's content: why the job is halted.
type Halt struct {
	Host   string    `json:"host"`
	When   time.Time `json:"when"`
	Result string    `json:"result"`
	Reason string    `json:"reason,omitempty"`
}

func (s *Store) runPath(lock, host string) string { return s.path(RunsDir, lock, host) }

// RecordStart writes r (state running) as the run record of r.Lock on
// r.Host, keeping the previous record's LastSuccess. It costs one read and
// one write (plus node creation on first use).
func (s *Store) RecordStart(r *Run) error {
	p := s.runPath(r.Lock, r.Host)
	var prev Run
	if ok, err := s.getJSON(p, &prev); ok && err == nil {
		s.starts(r, &prev)
	} else {
		s.starts(r, nil)
	}
	return s.putJSON(p, r)
}

// starts makes r a running record that follows prev (nil: none): what
// outlives a run is carried over, and the connections its session took
// are noted when it took more than one.
func (s *Store) starts(r, prev *Run) {
	if prev != nil {
		r.LastSuccess = prev.LastSuccess
	}
	r.State = StateRunning
	if n := s.conn.ConnectAttempts(); n > 1 {
		r.ConnectAttempts = n
	}
}

// LastRecord returns the run record of lock on host, or nil when there is
// none; a record that does not decode reads as an empty Run. One read.
func (s *Store) LastRecord(lock, host string) (*Run, error) {
	b, _, err := s.get(s.runPath(lock, host))
	if b == nil || err != nil {
		return nil, err
	}
	prev := &Run{}
	_ = json.Unmarshal(b, prev) // a damaged record only loses detail
	return prev, nil
}

// StartRecord is RecordStart as a lock.Rider: the start record travels in
// the lock's create multi, so a winning run writes it without a write
// transaction of its own, and a first run creates its nodes there too.
type StartRecord struct {
	s     *Store
	r     *Run
	data  []byte
	plan  int // what the record's nodes need: see Ops
	tries int
}

// Plans of a StartRecord, from the least to the most it creates.
const (
	planSet        = iota // the record exists: set it
	planCreate            // create the record
	planCreateLock        // create PREFIX/runs/LOCK and the record
	planCreateRuns        // create PREFIX/runs too
)

// StartRider returns the start record of r (state running), following
// prev as LastRecord read it (nil: there is none), as a lock.Rider.
func (s *Store) StartRider(r *Run, prev *Run) (*StartRecord, error) {
	s.starts(r, prev)
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", s.runPath(r.Lock, r.Host), err)
	}
	plan := planSet
	if prev == nil {
		plan = planCreateLock
	}
	return &StartRecord{s: s, r: r, data: b, plan: plan}, nil
}

// UndoStart puts back prev, the record that a start record r replaced
// (nil: deletes r's), for a run whose command did not start after all.
// The caller holds the job's lock, so no other run writes the record
// meanwhile.
func (s *Store) UndoStart(r *Run, prev *Run) error {
	p := s.runPath(r.Lock, r.Host)
	if prev == nil {
		_, err := s.remove(p)
		return err
	}
	return s.putJSON(p, prev)
}

// Ops implements lock.Rider.
func (sr *StartRecord) Ops(acl []zk.ACL) []any {
	p := sr.s.runPath(sr.r.Lock, sr.r.Host)
	if sr.plan == planSet {
		return []any{&zk.SetDataRequest{Path: p, Data: sr.data, Version: -1}}
	}
	var ops []any
	if sr.plan >= planCreateRuns {
		ops = append(ops, &zk.CreateRequest{Path: path.Dir(path.Dir(p)), Acl: acl})
	}
	if sr.plan >= planCreateLock {
		ops = append(ops, &zk.CreateRequest{Path: path.Dir(p), Acl: acl})
	}
	return append(ops, &zk.CreateRequest{Path: p, Data: sr.data, Acl: acl})
}

// Failed implements lock.Rider: a node found missing makes it create
// more, one found existing less; after a few turns it gives up.
func (sr *StartRecord) Failed(err error) bool {
	sr.tries++
	switch {
	case sr.tries > 3:
		return false
	case errors.Is(err, zk.ErrNoNode) && sr.plan < planCreateRuns:
		sr.plan++
	case errors.Is(err, zk.ErrNodeExists) && sr.plan > planSet:
		sr.plan--
	default:
		return false
	}
	return true
}

// RecordWaiting marks the run record of lock on host as waiting, from
// now: the previous record's fields stay (its result, last success), so
// checks keep judging the last run; a job with no record yet gets one whose
// start is now. It returns the previous record for RestoreRecord, or nil
// when there was none. A record that says running is left alone (another
// instance of the job runs on this host, and the waiter shows in the
// queues), and so is the return: (nil, false, nil).
func (s *Store) RecordWaiting(lock, host, group string) (prev *Run, wrote bool, err error) {
	p := s.runPath(lock, host)
	b, _, err := s.get(p)
	if err != nil {
		return nil, false, err
	}
	now := time.Now().UTC()
	r := Run{Lock: lock, Host: host, Group: group, Start: now}
	if b != nil {
		prev = &Run{}
		switch {
		case json.Unmarshal(b, prev) != nil:
			prev = nil // a damaged record: replace it
		case prev.State == StateRunning:
			return nil, false, nil
		default:
			r = *prev
		}
	}
	r.State, r.WaitingSince = StateWaiting, now
	if err := s.putJSON(p, &r); err != nil {
		return nil, false, err
	}
	return prev, true, nil
}

// RestoreRecord undoes RecordWaiting after a wait that ended without a run:
// it writes prev back, or deletes the record RecordWaiting created. A
// record that is no longer ours to undo (state other than waiting) is left
// alone.
func (s *Store) RestoreRecord(lock, host string, prev *Run) error {
	p := s.runPath(lock, host)
	b, st, err := s.get(p)
	if err != nil {
		return err
	}
	if b == nil {
		return fmt.Errorf("read %s: %w", p, zk.ErrNoNode)
	}
	var cur Run
	if json.Unmarshal(b, &cur) != nil || cur.State != StateWaiting {
		return nil
	}
	if prev == nil {
		err = s.conn.Delete(p, st.Version)
	} else {
		var nb []byte
		if nb, err = json.Marshal(prev); err == nil {
			_, err = s.conn.Set(p, nb, st.Version)
		}
	}
	if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) {
		return nil // changed meanwhile: someone else's record now
	}
	return wrapPut(p, err)
}

// RecordFinish writes r (state finished) as the run record and appends it,
// with r.Output, to the job's history, which keeps the last keep runs
// (DefaultHistoryRuns when keep is 0) within MaxHistoryBytes: one
// multi-request when the history was read before the start (Extends), a
// read more otherwise.
func (s *Store) RecordFinish(r *Run, keep int) error {
	r.State = StateFinished
	if r.Result == ResultSuccess {
		r.LastSuccess = r.Finish
	}
	rec, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	return s.finishWrite(r, rec, keep)
}

// Runs returns every run record, or those of lock name when not empty,
// sorted by lock and host. It lists with one Children call per lock and
// reads the records in parallel.
func (s *Store) Runs(name string) ([]Run, error) {
	dir := s.path(RunsDir)
	locks := []string{name}
	if name == "" {
		var err error
		if locks, err = s.list(dir); err != nil {
			return nil, err
		}
	}
	hostLists, err := s.listEach(dir, locks)
	if err != nil {
		return nil, err
	}
	var paths []string
	for i, hosts := range hostLists {
		for _, h := range hosts {
			paths = append(paths, path.Join(dir, locks[i], h))
		}
	}
	datas, _, err := s.getMany(paths)
	if err != nil {
		return nil, err
	}
	out := make([]Run, 0, len(paths))
	for i, b := range datas {
		var r Run
		if b == nil || json.Unmarshal(b, &r) != nil {
			continue // gone meanwhile; a foreign or damaged record only loses detail
		}
		r.Lock, r.Host = path.Base(path.Dir(paths[i])), path.Base(paths[i])
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lock != out[j].Lock {
			return out[i].Lock < out[j].Lock
		}
		return out[i].Host < out[j].Host
	})
	return out, s.markLost(out)
}

// markLost sets StateLost on the running records whose run no longer holds
// its lock: the lock node is gone, or is another run's: its creation zxid
// (the fencing token) differs from the record's, or, for a record written
// in the lock's own create (which cannot know the token yet), its holder
// is another host. One read per lock with a running record, in parallel.
func (s *Store) markLost(runs []Run) error {
	var idx []int
	var paths []string
	for i, r := range runs {
		if r.State == StateRunning {
			idx = append(idx, i)
			paths = append(paths, s.path(lock.LocksDir, r.Lock))
		}
	}
	datas, stats, err := s.getMany(paths)
	if err != nil {
		return err
	}
	for k, i := range idx {
		if !holds(runs[i], datas[k], stats[k]) {
			runs[i].State = StateLost
		}
	}
	return nil
}

// holds reports whether run r holds the lock whose node has data b and
// stat st (nil: no node).
func holds(r Run, b []byte, st *zk.Stat) bool {
	if st == nil {
		return false
	}
	if r.Token != 0 {
		return st.Czxid == r.Token
	}
	var info lock.Info
	return json.Unmarshal(b, &info) != nil || info.Host == r.Host
}

// FlushRecord writes r, a finish record kept in a local spool because
// ZooKeeper could not be reached when the run ended, if the stored record
// is still that run's start record (same start, pid and fencing token,
// state running); and then the halt marker when halt is set. It reports
// whether it wrote: a record already replaced by a later run is left
// alone, as that run's record is the newer truth.
func (s *Store) FlushRecord(r *Run, halt bool) (bool, error) {
	p := s.runPath(r.Lock, r.Host)
	b, st, err := s.get(p)
	if err != nil || b == nil {
		return false, err
	}
	var cur Run
	// A start record written in the lock's create has no pid or token yet.
	if json.Unmarshal(b, &cur) != nil || cur.State != StateRunning || !cur.Start.Equal(r.Start) ||
		cur.PID != 0 && cur.PID != r.PID || cur.Token != 0 && cur.Token != r.Token {
		return false, nil
	}
	r.State = StateFinished
	if r.Result == ResultSuccess {
		r.LastSuccess = r.Finish
	}
	nb, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	if _, err := s.conn.Set(p, nb, st.Version); errors.Is(err, zk.ErrBadVersion) {
		return false, nil // replaced meanwhile
	} else if err != nil {
		return false, wrapPut(p, err)
	}
	if halt {
		return true, s.SetHalt(r.Lock, Halt{Host: r.Host, When: r.Finish, Result: r.Result})
	}
	return true, nil
}

// Halted returns the halt marker of lock name, or nil when the job is not
// halted. It costs one read. A damaged marker still halts.
func (s *Store) Halted(name string) (*Halt, error) {
	h := &Halt{}
	ok, err := s.getJSON(s.path(HaltsDir, name), h)
	if !ok || err != nil {
		return nil, err
	}
	return h, nil
}

// SetHalt stores a halt marker for lock name.
func (s *Store) SetHalt(name string, h Halt) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	p := s.path(HaltsDir, name)
	_, err = s.conn.Create(p, b, 0)
	if errors.Is(err, zk.ErrNoNode) {
		if err := s.ensureNode(path.Dir(p)); err != nil {
			return err
		}
		return s.create(p, b)
	}
	if errors.Is(err, zk.ErrNodeExists) {
		_, err = s.conn.Set(p, b, -1)
	}
	return wrapPut(p, err)
}

// ClearHalt deletes the halt marker of lock name; it reports whether there
// was one.
func (s *Store) ClearHalt(name string) (bool, error) {
	return s.remove(s.path(HaltsDir, name))
}

// Halts returns every halt marker by lock name.
func (s *Store) Halts() (map[string]Halt, error) {
	return decodeChildren[Halt](s, s.path(HaltsDir))
}
