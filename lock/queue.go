package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/znode"
)

// Fair queues, after the ZooKeeper recipe: every waiter creates an
// ephemeral sequential node NAME-NNNNNNNNNN in the queue directory and
// watches only the node just before its own, so a departure wakes exactly
// one waiter (no herd). The node with the lowest sequence number is the
// head. The names are the original switchman's, so that both tools see
// each other's waiters during a migration.
//
// A create whose reply is lost with the connection may or may not have
// happened. Each node carries a random token in its data, and after the
// session comes back the waiter looks for its token before creating again
// (the protected-create recipe; the token is in the data rather than the
// name to keep the original's names).

// LockQueuePrefix names the queue of a lock inside PREFIX/queues: waiters
// for the busy lock NAME (--wait) queue in PREFIX/queues/.lock-NAME. The
// leading dot keeps it apart from resource names, which may not start
// with one.
const LockQueuePrefix = ".lock-"

// maxRetries bounds how often one request is retried after connection
// losses; each retry first waits for the session to come back.
const maxRetries = 3

// nodeData is what queue and semaphore nodes hold: who waits or holds,
// and the token that identifies the node after a lost create reply.
type nodeData struct {
	Info
	Lock  string `json:"lock"`
	Token string `json:"token"`
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// waiter carries what can end any step of one wait: the awaited watch, the
// deadline, the caller's context, the end of the session, or the lock
// appearing when it is watched.
type waiter struct {
	s        *Session
	ctx      context.Context
	log      zerolog.Logger
	sid      int64
	states   chan zk.State
	timer    *time.Timer
	deadline <-chan time.Time
	// lockPath, when set, is the lock whose creation ends the wait with a
	// *BusyError; lockW is its watch, nil until armed.
	lockPath string
	lockW    <-chan zk.Event
	// onWait, when set, runs once, before the first time the waiter blocks.
	onWait func()
}

func (s *Session) newWaiter(ctx context.Context, deadline time.Time, log zerolog.Logger) *waiter {
	w := &waiter{s: s, ctx: ctx, log: log, sid: s.conn.SessionID(), states: s.subscribe()}
	if !deadline.IsZero() {
		w.timer = time.NewTimer(time.Until(deadline))
		w.deadline = w.timer.C
	}
	return w
}

func (w *waiter) close() {
	w.s.unsubscribe(w.states)
	if w.timer != nil {
		w.timer.Stop()
	}
}

// checkSession fails once the session this wait began in is gone: its
// ephemeral nodes, our queue positions and leases among them, are gone
// too, whatever new session the client has silently opened since.
func (w *waiter) checkSession() error {
	if w.s.conn.State() == zk.StateExpired || w.s.conn.SessionID() != w.sid {
		return ErrSessionExpired
	}
	return nil
}

// do runs one request, retrying it after a connection loss once the
// session is back. op must be idempotent (a read, or a delete whose
// ErrNoNode the caller accepts).
func (w *waiter) do(op func() error) error {
	for attempt := 0; ; attempt++ {
		if err := w.checkSession(); err != nil {
			return err
		}
		err := op()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, zk.ErrSessionExpired):
			return ErrSessionExpired
		case !znode.IsConnErr(err) || attempt >= maxRetries:
			return err
		}
		if err := w.resume(); err != nil {
			return err
		}
	}
}

// resume waits for the client to have a session again after a connection
// loss. A waiter holds nothing that runs, so it waits as long as its wait
// may last: until the deadline or the end of ctx. The session may have
// expired meanwhile, with our nodes; that is an error.
func (w *waiter) resume() error {
	for w.s.conn.State() != zk.StateHasSession {
		select {
		case <-w.states:
		case <-w.deadline:
			return ErrWaitTimeout
		case <-w.ctx.Done():
			return context.Cause(w.ctx)
		}
	}
	return w.checkSession()
}

// wait blocks until ch delivers, or returns why it will not.
func (w *waiter) wait(ch <-chan zk.Event) error {
	if f := w.onWait; f != nil {
		w.onWait = nil
		f()
	}
	for {
		select {
		case <-ch:
			return nil
		case <-w.ctx.Done():
			return context.Cause(w.ctx)
		case <-w.deadline:
			return ErrWaitTimeout
		case st := <-w.states:
			if err := w.checkSession(); err != nil {
				return err
			}
			if st == zk.StateHasSession && w.lockPath != "" && w.lockW == nil {
				if err := w.armLock(); err != nil {
					return err
				}
			}
		case ev := <-w.lockW:
			w.lockW = nil
			if ev.Type == zk.EventNodeCreated {
				return w.busy()
			}
			// Not watching any more (connection trouble): re-arm now, or at
			// the next session event if the connection is still down.
			if err := w.armLock(); err != nil && !znode.IsConnErr(err) {
				return err
			}
		}
	}
}

// watchLock makes every later wait end with a *BusyError when the lock at
// p is created, and returns one at once if it exists already.
func (w *waiter) watchLock(p string) error {
	w.lockPath = p
	return w.armLock()
}

func (w *waiter) armLock() error {
	var ok bool
	var ch <-chan zk.Event
	err := w.do(func() (err error) {
		ok, _, ch, err = w.s.conn.ExistsW(w.lockPath)
		return err
	})
	if err != nil {
		return fmt.Errorf("watch lock %s: %w", w.lockPath, err)
	}
	if ok {
		return w.busy()
	}
	w.lockW = ch
	return nil
}

// busy reports the lock as held, with its holder when it can be read.
func (w *waiter) busy() error {
	busy := &BusyError{Path: w.lockPath}
	if b, _, err := w.s.conn.Get(w.lockPath); err == nil {
		busy.Holder = DecodeInfo(b)
	}
	return busy
}

// ensure creates the persistent node p and its missing parents below
// prefix. It returns an error wrapping ErrNoPrefix when prefix itself is
// missing: switchman never invents the znode holding the fleet's data.
func (w *waiter) ensure(prefix, p string) error {
	return w.ensureDir(prefix, p, true)
}

// ensureDir creates p, as a container node when container is set, and its
// missing parents as plain nodes. Queue and semaphore directories are
// containers: the server deletes each once its last waiter or holder is
// gone, so that nothing accumulates per lock or resource name. Their
// parents (PREFIX/queues, PREFIX/semaphores) are plain and stay. A
// container deleted between this call and the create of its child makes
// that create fail with ErrNoNode, and create ensures it again.
func (w *waiter) ensureDir(prefix, p string, container bool) error {
	if p == prefix {
		return znode.NoPrefix(prefix)
	}
	err := w.do(func() error {
		var err error
		if container {
			_, err = w.s.conn.CreateContainer(p, nil)
		} else {
			_, err = w.s.conn.Create(p, nil, 0)
		}
		return err
	})
	switch {
	case err == nil || errors.Is(err, zk.ErrNodeExists):
		return nil
	case errors.Is(err, zk.ErrNoNode):
		if err := w.ensureDir(prefix, path.Dir(p), false); err != nil {
			return err
		}
		return w.ensureDir(prefix, p, container)
	}
	return fmt.Errorf("create %s: %w", p, err)
}

// create makes an ephemeral sequential node dir/base+NNNNNNNNNN holding
// data (which carries token), creating dir when missing. After a
// connection loss it finds the node by its token rather than create a
// second one.
func (w *waiter) create(prefix, dir, base string, data []byte, token string) (string, error) {
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if err := w.checkSession(); err != nil {
			return "", err
		}
		p, err := w.s.conn.Create(path.Join(dir, base), data, zk.FlagEphemeral|zk.FlagSequence)
		switch {
		case err == nil:
			return p, nil
		case errors.Is(err, zk.ErrSessionExpired):
			return "", ErrSessionExpired
		case errors.Is(err, zk.ErrNoNode):
			if err := w.ensure(prefix, dir); err != nil {
				return "", err
			}
		case znode.IsConnErr(err):
			if err := w.resume(); err != nil {
				return "", err
			}
			if p, err := w.find(dir, base, token); err != nil || p != "" {
				return p, err
			}
		default:
			return "", fmt.Errorf("create %s in %s: %w", base, dir, err)
		}
	}
	return "", fmt.Errorf("create %s in %s: connection kept failing", base, dir)
}

// find returns the node dir/base+NNNNNNNNNN carrying token, or "". It
// syncs first so that the server answering has applied every write the
// leader had committed, the lost create among them if it happened.
func (w *waiter) find(dir, base, token string) (string, error) {
	var kids []string
	err := w.do(func() error {
		if _, err := w.s.conn.Sync(dir); err != nil {
			return err
		}
		var err error
		kids, _, err = w.s.conn.Children(dir)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return "", nil // the directory is a container, deleted once empty: our create did not happen
	}
	if err != nil {
		return "", fmt.Errorf("look for our node in %s: %w", dir, err)
	}
	for _, k := range kids {
		if _, ok := parseSeq(k); !ok || !strings.HasPrefix(k, base) {
			continue
		}
		p := path.Join(dir, k)
		var b []byte
		if err := w.do(func() (err error) { b, _, err = w.s.conn.Get(p); return err }); err != nil {
			continue // gone, or unreadable: not ours to claim
		}
		var d nodeData
		if json.Unmarshal(b, &d) == nil && d.Token == token {
			return p, nil
		}
	}
	return "", nil
}

// parseSeq returns the sequence number ZooKeeper appended to a node name:
// its last ten characters.
func parseSeq(name string) (int64, bool) {
	if len(name) < 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(name[len(name)-10:], 10, 64)
	return n, err == nil && n >= 0
}

// queueName is the part of a queue node's name before "-NNNNNNNNNN": the
// waiter's lock name.
func queueName(node string) string {
	if len(node) < 11 || node[len(node)-11] != '-' {
		return ""
	}
	return node[:len(node)-11]
}

// waitHead waits until node, in the queue dir, is the head. When dup is
// set, a node of the same lock name ahead of ours means this run is a
// duplicate: it returns an error wrapping ErrQueued.
func (w *waiter) waitHead(dir, node, dup string) error {
	mine := path.Base(node)
	me, _ := parseSeq(mine)
	for {
		var kids []string
		if err := w.do(func() (err error) { kids, _, err = w.s.conn.Children(dir); return err }); err != nil {
			return fmt.Errorf("list queue %s: %w", dir, err)
		}
		pred, present, ahead := predecessor(kids, mine, me, dup)
		switch {
		case !present:
			return fmt.Errorf("%w: %s", ErrQueueLost, node)
		case ahead != "":
			return fmt.Errorf("%w: %s is already waiting in %s", ErrQueued, path.Join(dir, ahead), dir)
		case pred == "":
			return nil
		}
		var ok bool
		var ch <-chan zk.Event
		p := path.Join(dir, pred)
		if err := w.do(func() (err error) { ok, _, ch, err = w.s.conn.ExistsW(p); return err }); err != nil {
			return fmt.Errorf("watch %s: %w", p, err)
		}
		if !ok {
			continue // left between the listing and the watch
		}
		w.log.Debug().Str("queue_node", node).Str("waits_for", p).Msg("waiting in queue")
		if err := w.wait(ch); err != nil {
			return err
		}
	}
}

// predecessor scans a queue listing for the node just ahead of ours (""
// when ours is the head), whether ours is there, and the first node of
// lock name dup ahead of ours.
func predecessor(kids []string, mine string, me int64, dup string) (pred string, present bool, ahead string) {
	best := int64(-1)
	for _, k := range kids {
		if k == mine {
			present = true
			continue
		}
		seq, ok := parseSeq(k)
		if !ok || seq >= me {
			continue
		}
		if dup != "" && ahead == "" && queueName(k) == dup {
			ahead = k
		}
		if seq > best {
			best, pred = seq, k
		}
	}
	return pred, present, ahead
}

// remove deletes nodes of this session on the way out. It is bounded: a
// node it cannot delete goes when the session closes.
func (s *Session) remove(nodes ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout())
	defer cancel()
	for _, p := range nodes {
		for attempt := 0; attempt <= maxRetries; attempt++ {
			err := s.conn.Delete(p, -1)
			if !znode.IsConnErr(err) || s.waitSession(ctx) != nil {
				break
			}
		}
	}
}

// WaitOptions bound AcquireWait.
type WaitOptions struct {
	// Deadline ends the wait with ErrWaitTimeout; zero means no limit.
	Deadline time.Time
	// Logger receives debug messages about the wait.
	Logger zerolog.Logger
	// OnWait, when set, is called once, in the caller's goroutine, when
	// the call has to block: not when the lock is taken at once.
	OnWait func()
}

// AcquireWait takes the lock, waiting its turn when it is
// busy, like flock -w: each caller queues in PREFIX/queues/.lock-NAME,
// watches only the waiter ahead of it, and once at the head takes the lock
// as soon as the holder releases it. A run without --wait never queues and
// may still take a free lock first. It blocks until the lock is held, the
// deadline passes (an error wrapping ErrWaitTimeout), ctx ends, or the
// session is lost; its queue node is removed in every case.
func (m *Mutex) AcquireWait(ctx context.Context, info Info, o WaitOptions) (*Held, error) {
	s, prefix, name := m.s, m.prefix, m.name
	w := s.newWaiter(ctx, o.Deadline, o.Logger)
	w.onWait = o.OnWait
	defer w.close()
	token := newToken()
	data, err := json.Marshal(nodeData{Info: info.Bounded(), Lock: name, Token: token})
	if err != nil {
		return nil, fmt.Errorf("encode queue data: %w", err)
	}
	dir := path.Join(prefix, QueuesDir, LockQueuePrefix+name)
	node, err := w.create(prefix, dir, name+"-", data, token)
	if err != nil {
		return nil, fmt.Errorf("queue for lock %s: %w", name, err)
	}
	defer s.remove(node)
	if err := w.waitHead(dir, node, ""); err != nil {
		return nil, fmt.Errorf("queue for lock %s: %w", name, err)
	}
	return w.acquireAtHead(m, info)
}

// acquireAtHead takes the lock as the head of its queue, waiting for each
// holder in turn to release it.
func (w *waiter) acquireAtHead(m *Mutex, info Info) (*Held, error) {
	p, name := m.path, m.name
	for {
		held, err := m.Acquire(w.ctx, info)
		var busy *BusyError
		if !errors.As(err, &busy) {
			return held, err
		}
		var ok bool
		var ch <-chan zk.Event
		if err := w.do(func() (err error) { ok, _, ch, err = w.s.conn.ExistsW(p); return err }); err != nil {
			return nil, fmt.Errorf("watch lock %s: %w", p, err)
		}
		if !ok {
			continue
		}
		w.log.Debug().Str("lock", name).Str("holder_host", busy.Holder.Host).Int("holder_pid", busy.Holder.PID).Msg("waiting for lock")
		if err := w.wait(ch); err != nil {
			return nil, fmt.Errorf("wait for lock %s: %w", name, err)
		}
	}
}
