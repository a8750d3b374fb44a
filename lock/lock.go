package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
)

// Info is what a lock node holds: who runs the job. It is stored as JSON.
type Info struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Start time.Time `json:"start"`
	// Command is the job's argv, or its first MaxCommandBytes when
	// CommandCut is set (see Info.Bounded).
	Command []string `json:"command,omitempty"`
	// CommandCut says that Command is a cut summary of a longer argv.
	CommandCut bool   `json:"command_cut,omitempty"`
	Group      string `json:"group,omitempty"`
	Version    string `json:"version,omitempty"`
	// ExpectedDuration, when set, lets `switchman check overdue` spot a
	// job running past it.
	ExpectedDuration string `json:"expected_duration,omitempty"`
	// Original is set by DecodeInfo for a node the original Perl tool
	// wrote: it knows the host and pid only, and watches no kill request.
	// This tool never stores it; it is in the JSON for `switchman status`.
	Original bool `json:"original,omitempty"`
}

// DecodeInfo reads what a lock, queue or lease node says about its holder:
// this tool's JSON, or the original tool's "host pid" (Original set).
// Anything else gives an Info with what could be read, possibly nothing.
func DecodeInfo(b []byte) Info {
	var i Info
	if json.Unmarshal(b, &i) == nil {
		i.Original = false // only the original's "host pid" says so
		return i
	}
	f := strings.Fields(string(b))
	if len(f) == 2 {
		if pid, err := strconv.Atoi(f[1]); err == nil && pid > 0 {
			return Info{Host: f[0], PID: pid, Original: true}
		}
	}
	return Info{}
}

// MaxCommandBytes bounds the command stored in a lock, queue or lease node.
// The kernel accepts an argv of up to a quarter of the stack limit (2 MB by
// default), but a znode holds at most jute.maxbuffer (1 MB) and the client
// refuses a request larger than its buffer: a job's argv stored whole made
// long command lines fail to take the lock. 4 KiB is plenty to recognise a
// job in `switchman status`.
const MaxCommandBytes = 4096

// Bounded returns i with Command cut to at most MaxCommandBytes bytes of
// arguments (the last kept argument cut short if need be), and CommandCut
// set when anything was cut. Every node switchman writes stores the bounded
// form.
func (i Info) Bounded() Info {
	n := 0
	for k, a := range i.Command {
		if n+len(a) > MaxCommandBytes {
			cmd := slices.Clip(i.Command[:k])
			cut := MaxCommandBytes - n
			for cut > 0 && !utf8.RuneStart(a[cut]) {
				cut-- // never split a character
			}
			if cut > 0 {
				cmd = append(cmd, a[:cut])
			}
			i.Command, i.CommandCut = cmd, true
			return i
		}
		n += len(a)
	}
	return i
}

// Held is a lock held by this session.
type Held struct {
	s *Session
	// Path is the lock node.
	Path string
	// Token is the fencing token: the lock node's creation zxid, which grows
	// with every new holder of any lock.
	Token int64
	// SessionID is the session that owns the node.
	SessionID int64
	// Rode says that the Rider given to AcquireWith committed with the
	// lock's create.
	Rode  bool
	watch <-chan zk.Event
}

// LocksDir, QueuesDir and SemaphoresDir are the znodes under the prefix
// that switchman keeps, as the original did.
const (
	LocksDir      = "locks"
	QueuesDir     = "queues"
	SemaphoresDir = "semaphores"
)

// Mutex is the exclusive lock PREFIX/locks/NAME on a session, bound to its
// prefix and name when made. It is safe for concurrent use; closing the
// session releases whatever it holds.
type Mutex struct {
	s            *Session
	prefix, name string
	// path is the lock node.
	path string
}

// NewMutex returns the lock PREFIX/locks/name on session s. It sends
// nothing.
func NewMutex(s *Session, prefix, name string) *Mutex {
	return &Mutex{s: s, prefix: prefix, name: name, path: path.Join(prefix, LocksDir, name)}
}

// Acquire takes the lock without waiting. It returns a *BusyError
// (wrapping ErrBusy) when another session holds it. Missing parent nodes
// are created on the first failure only, so the common path is a single
// request (see createHeld).
//
// When the connection drops during the create, Acquire waits for the
// session to come back and decides by the node's owner whether the create
// went through: the lock is never left orphaned nor taken twice.
//
// The returned Held carries no watch yet: Guard sets it, while the job
// starts, and treats a node already gone or not ours as a loss.
func (m *Mutex) Acquire(ctx context.Context, info Info) (*Held, error) {
	return m.AcquireWith(ctx, info, nil)
}

// Rider is a write that travels in the lock's create multi: it commits
// exactly when the lock is taken, and costs no write transaction of its
// own.
type Rider interface {
	// Ops returns the requests to append to the multi (*zk.CreateRequest,
	// *zk.SetDataRequest, ...); nodes it creates get acl.
	Ops(acl []zk.ACL) []any
	// Failed is told that the multi failed with err (zk.ErrNodeExists or
	// zk.ErrNoNode) because of one of the rider's requests: the lock node
	// itself was free. It returns true when it has changed its requests so
	// that the multi is worth sending again, false to give up; the lock is
	// then taken without it (Held.Rode is false).
	Failed(err error) bool
}

// AcquireWith is Acquire with rider's requests in the lock's create multi
// (nil: none). Held.Rode says whether they committed with the lock.
//
// A reply of the multi does not say which request failed, so a failure is
// judged by the lock node: held, the lock is busy as in Acquire; free,
// the rider's requests failed and it is asked to adjust them.
func (m *Mutex) AcquireWith(ctx context.Context, info Info, rider Rider) (*Held, error) {
	s, p := m.s, m.path
	data, err := json.Marshal(info.Bounded())
	if err != nil {
		return nil, fmt.Errorf("encode lock data: %w", err)
	}
	for attempt, layout := 0, false; ; attempt++ {
		var h *Held
		h, err = s.createHeld(p, data, rider)
		switch {
		case err == nil:
			return h, nil
		case rider != nil && (errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)) && attempt < 8:
			cause := err
			h, err = s.claim(ctx, p)
			var busy *BusyError
			if err == nil {
				h.Rode = true // ours: a create that went through before a connection loss
			}
			if !errors.As(err, &busy) || !busy.gone {
				return h, err // ours, another's, or a failed read
			}
			// Free: the rider's requests made the multi fail.
			if !rider.Failed(cause) {
				rider = nil
			}
		case errors.Is(err, zk.ErrNodeExists):
			return s.claim(ctx, p)
		case errors.Is(err, zk.ErrNoNode) && !layout:
			layout = true
			if err := s.ensureLayout(m.prefix); err != nil {
				return nil, err
			}
		case znode.IsConnErr(err) && attempt < 3:
			if err := s.waitSession(ctx); err != nil {
				return nil, fmt.Errorf("create lock %s: %w", p, err)
			}
		case znode.IsConnErr(err):
			return nil, fmt.Errorf("create lock %s: %w: %v", p, ErrUnreachable, err)
		default:
			return nil, fmt.Errorf("create lock %s: %w", p, znode.AuthErr(err))
		}
	}
}

// Peek reads the lock node and returns a *BusyError naming its holder when
// another session holds it, nil when it is free.
// A failed read returns nil too: Acquire, which follows, decides. It lets
// a run meet a busy lock without a create that must fail (a write
// transaction on the ensemble); the read can travel with the run's other
// reads, so it adds no round trip.
func (m *Mutex) Peek() *BusyError {
	s, p := m.s, m.path
	data, st, err := s.conn.Get(p)
	if err != nil || st.EphemeralOwner == s.conn.SessionID() {
		return nil
	}
	busy := &BusyError{Path: p}
	_ = json.Unmarshal(data, &busy.Holder) // a foreign or old format only loses detail
	return busy
}

// createHeld creates the ephemeral lock node p in one round trip: a multi
// that creates it and sets the same data again at version 0, then the
// rider's requests. A plain create returns only the path; the set returns
// the node's Stat, whose creation zxid is the fencing token and whose owner
// is this session, so no read has to follow.
func (s *Session) createHeld(p string, data []byte, rider Rider) (*Held, error) {
	ops := []any{
		&zk.CreateRequest{Path: p, Data: data, Acl: s.conn.ACL(), Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: p, Data: data, Version: 0},
	}
	if rider != nil {
		ops = append(ops, rider.Ops(s.conn.ACL())...)
	}
	res, err := s.conn.Multi(ops...)
	if err != nil {
		return nil, err
	}
	if len(res) != len(ops) || res[1].Stat == nil {
		return nil, fmt.Errorf("create lock %s: multi returned %d results", p, len(res))
	}
	st := res[1].Stat
	return &Held{s: s, Path: p, Token: st.Czxid, SessionID: st.EphemeralOwner, Rode: rider != nil}, nil
}

// claim reads the lock node with a watch and decides whether it is ours.
func (s *Session) claim(ctx context.Context, p string) (*Held, error) {
	var data []byte
	var st *zk.Stat
	var ch <-chan zk.Event
	err := s.conn.Retry(ctx, func() (err error) {
		data, st, ch, err = s.conn.GetW(p)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		// Deleted between our create and this read: the holder left.
		// Report busy rather than race again; cron runs us again soon.
		return nil, &BusyError{Path: p, gone: true}
	}
	if err != nil {
		return nil, fmt.Errorf("read lock %s: %w", p, znode.AuthErr(err))
	}
	sid := s.conn.SessionID()
	if st.EphemeralOwner == sid {
		return &Held{s: s, Path: p, Token: st.Czxid, SessionID: sid, watch: ch}, nil
	}
	busy := &BusyError{Path: p}
	busy.Holder = DecodeInfo(data)
	return nil, busy
}

// waitSession waits until the client has a session again after a
// connection loss, bounded by ctx and resumeWithin.
func (s *Session) waitSession(ctx context.Context) error {
	ch := s.subscribe()
	defer s.unsubscribe(ch)
	timer := time.NewTimer(s.resumeWithin())
	defer timer.Stop()
	for s.conn.State() != zk.StateHasSession {
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("%w: no session after connection loss", ErrUnreachable)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// Release deletes the lock node if, and only if, it is still this
// session's node: a lock path is never deleted blindly, since after a loss
// it may already be another host's. Closing the session releases it too.
func (h *Held) Release() error {
	_, st, err := h.s.conn.Get(h.Path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release %s: %w", h.Path, err)
	}
	if st.EphemeralOwner != h.SessionID || st.Czxid != h.Token {
		return nil
	}
	if err := h.s.conn.Delete(h.Path, st.Version); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("release %s: %w", h.Path, err)
	}
	return nil
}

// ensureLayout checks that prefix exists and creates its locks, queues
// and semaphores children when missing (see znode.Client.EnsureLayout).
func (s *Session) ensureLayout(prefix string) error {
	return s.conn.EnsureLayout(prefix, LocksDir, QueuesDir, SemaphoresDir)
}
