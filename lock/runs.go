package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// RunsDir holds run records: PREFIX/runs/LOCK/HOST, persistent JSON nodes.
// HaltsDir holds halt markers: PREFIX/halts/LOCK exists while a job run
// with --halt-on-failure must not start.
const (
	RunsDir  = "runs"
	HaltsDir = "halts"
)

// Run states and results, as stored in run records.
const (
	StateWaiting  = "waiting"
	StateRunning  = "running"
	StateFinished = "finished"
	ResultSuccess = "success"
)

// Run is the record of the last run of a job on a host.
type Run struct {
	Lock        string    `json:"lock"`
	Host        string    `json:"host"`
	Group       string    `json:"group,omitempty"`
	State       string    `json:"state"`
	PID         int       `json:"pid,omitempty"`
	Start       time.Time `json:"start"`
	Finish      time.Time `json:"finish,omitzero"`
	ExitCode    int       `json:"exit_code"`
	Result      string    `json:"result,omitempty"`
	DurationMS  int64     `json:"duration_ms"`
	MaxRSSKB    int64     `json:"max_rss_kb"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Token       int64     `json:"fencing_token,omitempty"`
	// Expected is the --expected-duration of the run, if any.
	Expected string `json:"expected_duration,omitempty"`
	// WaitingSince is set, with state waiting, while a run waits in a
	// queue (--lease, --wait); the other fields are then still the last
	// run's.
	WaitingSince time.Time `json:"waiting_since,omitzero"`
}

// Halt is a halt marker's content: why the job is halted.
type Halt struct {
	Host   string    `json:"host"`
	When   time.Time `json:"when"`
	Result string    `json:"result"`
	Reason string    `json:"reason,omitempty"`
}

// RecordStart writes r (state running) as the run record of r.Lock on
// r.Host, keeping the previous record's LastSuccess. It costs one read and
// one write (plus node creation on first use).
func (s *Session) RecordStart(prefix string, r *Run) error {
	p := path.Join(prefix, RunsDir, r.Lock, r.Host)
	s.count()
	if b, _, err := s.conn.Get(p); err == nil {
		var prev Run
		if json.Unmarshal(b, &prev) == nil {
			r.LastSuccess = prev.LastSuccess
		}
	}
	r.State = StateRunning
	return s.putRecord(p, r)
}

// RecordWaiting marks the run record of lock on host as waiting, from
// now: the previous record's fields stay (its result, last success), so
// checks keep judging the last run; a job with no record yet gets one whose
// start is now. It returns the previous record for RestoreRecord, or nil
// when there was none. A record that says running is left alone (another
// instance of the job runs on this host, and the waiter shows in the
// queues), and so is the return: (nil, nil, false).
func (s *Session) RecordWaiting(prefix, lock, host, group string) (prev *Run, wrote bool, err error) {
	p := path.Join(prefix, RunsDir, lock, host)
	s.count()
	b, _, err := s.conn.Get(p)
	now := time.Now().UTC()
	r := Run{Lock: lock, Host: host, Group: group, Start: now}
	switch {
	case err == nil:
		prev = &Run{}
		if json.Unmarshal(b, prev) != nil {
			prev = nil // a damaged record: replace it
			break
		}
		if prev.State == StateRunning {
			return nil, false, nil
		}
		r = *prev
	case !errors.Is(err, zk.ErrNoNode):
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	r.State, r.WaitingSince = StateWaiting, now
	if err := s.putRecord(p, &r); err != nil {
		return nil, false, err
	}
	return prev, true, nil
}

// RestoreRecord undoes RecordWaiting after a wait that ended without a run:
// it writes prev back, or deletes the record RecordWaiting created. A
// record that is no longer ours to undo (state other than waiting) is left
// alone.
func (s *Session) RestoreRecord(prefix, lock, host string, prev *Run) error {
	p := path.Join(prefix, RunsDir, lock, host)
	s.count()
	b, st, err := s.conn.Get(p)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	var cur Run
	if json.Unmarshal(b, &cur) != nil || cur.State != StateWaiting {
		return nil
	}
	s.count()
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

// RecordFinish writes r (state finished) as the run record: one write.
func (s *Session) RecordFinish(prefix string, r *Run) error {
	r.State = StateFinished
	if r.Result == ResultSuccess {
		r.LastSuccess = r.Finish
	}
	return s.putRecord(path.Join(prefix, RunsDir, r.Lock, r.Host), r)
}

func (s *Session) putRecord(p string, r *Run) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	return s.put(p, b)
}

// put sets p's data, creating p and its parents on first use.
func (s *Session) put(p string, b []byte) error {
	s.count()
	_, err := s.conn.Set(p, b, -1)
	if !errors.Is(err, zk.ErrNoNode) {
		return wrapPut(p, err)
	}
	if err := s.ensureNode(path.Dir(path.Dir(p))); err != nil {
		return err
	}
	if err := s.ensureNode(path.Dir(p)); err != nil {
		return err
	}
	s.count()
	_, err = s.conn.Create(p, b, 0, s.ACL())
	if errors.Is(err, zk.ErrNodeExists) {
		s.count()
		_, err = s.conn.Set(p, b, -1)
	}
	return wrapPut(p, err)
}

func wrapPut(p string, err error) error {
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Runs returns every run record, or those of lock name when not empty,
// sorted by lock and host. It lists with one Children call per lock and
// reads the records in parallel.
func (s *Session) Runs(prefix, name string) ([]Run, error) {
	dir := path.Join(prefix, RunsDir)
	locks := []string{name}
	if name == "" {
		var err error
		if locks, err = s.children(dir); err != nil {
			return nil, err
		}
	}
	hostLists := make([][]string, len(locks))
	errs := s.parallel(len(locks), func(i int) (err error) {
		hostLists[i], err = s.children(path.Join(dir, locks[i]))
		return err
	})
	if errs != nil {
		return nil, errs
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
		if b == nil {
			continue
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			continue // a foreign or damaged record only loses detail
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
	return out, nil
}

// children lists a node's children, sorted; a missing node has none.
func (s *Session) children(p string) ([]string, error) {
	s.count()
	kids, _, err := s.conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", p, err)
	}
	sort.Strings(kids)
	return kids, nil
}

// parallelism bounds the requests in flight: the client pipelines them on
// its one connection, so a few dozen hide the round-trip time without
// flooding the server.
const parallelism = 64

// parallel runs f(0..n-1) with bounded concurrency and returns the first
// error.
func (s *Session) parallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, parallelism)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// getMany reads paths in parallel; a node deleted meanwhile reads as nil.
func (s *Session) getMany(paths []string) ([][]byte, []*zk.Stat, error) {
	datas := make([][]byte, len(paths))
	stats := make([]*zk.Stat, len(paths))
	err := s.parallel(len(paths), func(i int) error {
		s.count()
		b, st, err := s.conn.Get(paths[i])
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", paths[i], err)
		}
		if b == nil {
			b = []byte{}
		}
		datas[i], stats[i] = b, st
		return nil
	})
	return datas, stats, err
}

// Halted returns the halt marker of lock name, or nil when the job is not
// halted. It costs one read.
func (s *Session) Halted(prefix, name string) (*Halt, error) {
	s.count()
	b, _, err := s.conn.Get(path.Join(prefix, HaltsDir, name))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read halt marker %s: %w", name, err)
	}
	h := &Halt{}
	_ = json.Unmarshal(b, h) // a damaged marker still halts
	return h, nil
}

// SetHalt stores a halt marker for lock name.
func (s *Session) SetHalt(prefix, name string, h Halt) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	p := path.Join(prefix, HaltsDir, name)
	s.count()
	_, err = s.conn.Create(p, b, 0, s.ACL())
	if errors.Is(err, zk.ErrNoNode) {
		if err := s.ensureNode(path.Dir(p)); err != nil {
			return err
		}
		s.count()
		_, err = s.conn.Create(p, b, 0, s.ACL())
	}
	if errors.Is(err, zk.ErrNodeExists) {
		s.count()
		_, err = s.conn.Set(p, b, -1)
	}
	return wrapPut(p, err)
}

// ClearHalt deletes the halt marker of lock name; it reports whether there
// was one.
func (s *Session) ClearHalt(prefix, name string) (bool, error) {
	s.count()
	err := s.conn.Delete(path.Join(prefix, HaltsDir, name), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete halt marker %s: %w", name, err)
	}
	return true, nil
}

// Halts returns every halt marker by lock name.
func (s *Session) Halts(prefix string) (map[string]Halt, error) {
	names, datas, _, err := s.readChildren(path.Join(prefix, HaltsDir))
	if err != nil {
		return nil, err
	}
	out := map[string]Halt{}
	for i, b := range datas {
		if b == nil {
			continue
		}
		var h Halt
		_ = json.Unmarshal(b, &h)
		out[names[i]] = h
	}
	return out, nil
}

// HeldLock is a lock as `status` shows it.
type HeldLock struct {
	Name  string
	Info  Info
	Token int64
}

// Locks returns the locks held now, sorted by name.
func (s *Session) Locks(prefix string) ([]HeldLock, error) {
	names, datas, stats, err := s.readChildren(path.Join(prefix, LocksDir))
	if err != nil {
		return nil, err
	}
	out := make([]HeldLock, 0, len(names))
	for i, b := range datas {
		if b == nil {
			continue
		}
		l := HeldLock{Name: names[i], Token: stats[i].Czxid}
		_ = json.Unmarshal(b, &l.Info)
		out = append(out, l)
	}
	return out, nil
}

// Waiters returns, per child of PREFIX/queues or PREFIX/semaphores (dir),
// the data of its children: queued waiters or lease holders.
func (s *Session) Waiters(prefix, dir string) (map[string][][]byte, error) {
	base := path.Join(prefix, dir)
	names, err := s.children(base)
	if err != nil {
		return nil, err
	}
	kids := make([][]string, len(names))
	if err := s.parallel(len(names), func(i int) (err error) {
		kids[i], err = s.children(path.Join(base, names[i]))
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string][][]byte{}
	for i, n := range names {
		paths := make([]string, len(kids[i]))
		for j, k := range kids[i] {
			paths[j] = path.Join(base, n, k)
		}
		datas, _, err := s.getMany(paths)
		if err != nil {
			return nil, err
		}
		for _, d := range datas {
			if d != nil {
				out[n] = append(out[n], d)
			}
		}
	}
	return out, nil
}

// readChildren lists dir and reads every child, in parallel; a child gone
// since the listing has nil data.
func (s *Session) readChildren(dir string) ([]string, [][]byte, []*zk.Stat, error) {
	names, err := s.children(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = path.Join(dir, n)
	}
	datas, stats, err := s.getMany(paths)
	return names, datas, stats, err
}
