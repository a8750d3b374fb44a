package lock

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/znode"
)

// Watched is znode content read together with a watch on it.
type Watched struct {
	// Data is the content read.
	Data []byte
	path string
	ch   <-chan zk.Event
}

// WatchData reads the prefix znode and sets a watch on it, so that a change
// made after this read is never missed. It returns an error wrapping
// ErrNoPrefix when the node does not exist.
func WatchData(s *Session, prefix string) (*Watched, error) {
	var b []byte
	var ch <-chan zk.Event
	err := s.conn.Retry(context.Background(), func() (err error) {
		b, _, ch, err = s.conn.GetW(prefix)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return nil, znode.NoPrefix(prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", prefix, znode.AuthErr(err))
	}
	return &Watched{Data: b, path: prefix, ch: ch}, nil
}

// GuardOptions say what a running job's permission depends on.
type GuardOptions struct {
	// Lock is the lock held; nil with --no-lock.
	Lock *Held
	// Group is the group data read at start-up, with its watch; nil
	// without --group.
	Group *Watched
	// Member decides from new group data whether this host may go on:
	// false (the host left the group, or the group is gone) stops the job.
	// An error means the data is malformed (does not parse, wrong shape):
	// the job keeps running on the last good data (an operator's typo must
	// not stop every job of the fleet) and the error is logged.
	Member func(data []byte) (bool, error)
	// Grace is the termination grace the supervisor uses; self-fencing
	// starts early enough for a shortened grace to end before the session
	// can expire.
	Grace time.Duration
	// Logger receives the guard's reports.
	Logger zerolog.Logger
	// KillPath, with OnKill and Lock, makes the guard watch that node for
	// a kill request (see RequestKill) naming the lock's fencing token,
	// and call OnKill once with the signal asked for. The guard's context
	// is not cancelled: the caller stops its child and releases the lock
	// only after the child is dead.
	KillPath string
	OnKill   func(sig syscall.Signal)
	// NoEphemerals says the session owns no node (no lock, no lease), so
	// that the session the client opens after an expiry is as good as
	// the lost one: the guard re-reads the group data on it and goes on.
	// A local session (localSessionsEnabled on the servers) that never
	// created an ephemeral node expires so whenever its server dies or
	// restarts, since it cannot move to another server.
	NoEphemerals bool
}

// Guard watches, event-driven, everything the running job's permission
// depends on: the session, the lock node and the group data. The returned
// context is cancelled, with the reason as its cause (see the Err
// variables of this package, and *AtRiskError), when permission is lost,
// or when stop is called. stop releases the guard's resources.
func Guard(parent context.Context, s *Session, o GuardOptions) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	g := &guard{s: s, o: o, ctx: ctx, cancel: cancel, sessionID: s.conn.SessionID()}
	if o.Lock != nil {
		g.lockW = o.Lock.watch
		g.sessionID = o.Lock.SessionID
	}
	if o.Group != nil {
		g.dataW = o.Group.ch
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.run()
	}()
	return ctx, func() {
		cancel(nil)
		<-done
	}
}

type guard struct {
	s         *Session
	o         GuardOptions
	ctx       context.Context
	cancel    context.CancelCauseFunc
	sessionID int64
	lockW     <-chan zk.Event
	dataW     <-chan zk.Event
	killW     <-chan zk.Event
	killed    bool
	beating   atomic.Bool
}

func (g *guard) run() {
	states := g.s.subscribe()
	defer g.s.unsubscribe(states)
	g.begin()
	fence := time.NewTimer(g.fenceDelay())
	defer fence.Stop()
	// A heartbeat read bounds how stale lastHeard is when a partition
	// begins, and a partition is survived only while that staleness plus
	// its length stays under the client library's receive timeout (2/3 S:
	// past it the library drops the connection, and the reconnect comes
	// too late). The library's own pings come every third of S; a read
	// every twentieth keeps the staleness at 0.05 S: in the fault suite's
	// stall sweep no stall up to 0.55 S stopped a job, 0.6 S rarely did. At
	// the default S of 30 s that is one cheap read per 1.5 s per job.
	beat := time.NewTicker(g.s.Timeout() / heartbeatsPerTimeout)
	defer beat.Stop()
	for g.ctx.Err() == nil {
		select {
		case <-g.ctx.Done():
		case <-states:
			g.checkSession()
		case ev := <-g.lockW:
			g.lockW = nil // a watch fires once
			g.onWatch(ev, ErrLockLost, g.rearmLock)
		case ev := <-g.dataW:
			g.dataW = nil
			g.onWatch(ev, ErrPrefixDeleted, g.rearmData)
		case <-g.killW:
			g.killW = nil
			g.armKill()
		case <-fence.C:
			g.checkFence()
			fence.Reset(g.fenceDelay())
		case <-beat.C:
			g.heartbeat()
		}
	}
}

func (g *guard) lose(cause error) {
	g.o.Logger.Debug().Err(cause).Msg("permission lost")
	g.cancel(cause)
}

// checkSession reacts to a session state change. After an expiry the
// library silently opens a new session, which owns none of our nodes: that
// is a loss, never something to carry on with. After a reconnect within the
// session, watches are re-read and re-armed, since a node deleted while
// disconnected fires no watch on this side.
func (g *guard) checkSession() {
	st := g.s.conn.State()
	replaced := g.s.conn.SessionID() != g.sessionID && st == zk.StateHasSession
	switch {
	case g.o.NoEphemerals && st == zk.StateExpired:
		return // the new session's StateHasSession comes next
	case g.o.NoEphemerals && replaced:
		g.o.Logger.Info().Str("session", fmt.Sprintf("0x%x", g.s.conn.SessionID())).
			Msg("zookeeper session replaced after an expiry; the run holds no lock or lease: group membership re-checked")
		g.sessionID = g.s.conn.SessionID()
	case st == zk.StateExpired || replaced:
		g.lose(ErrSessionExpired)
		return
	}
	if st == zk.StateHasSession {
		g.rearmLock()
		g.rearmData()
		if g.killW == nil {
			g.armKill()
		}
	}
}

// begin starts guarding without re-reading what the caller just read: the
// lock and group data watches set by Acquire and WatchData are live (the
// client re-registers them on a reconnect within the session), so only a
// session change since then needs checking. Re-reading here cost two round
// trips per run for nothing.
func (g *guard) begin() {
	st := g.s.conn.State()
	if st == zk.StateExpired || g.s.conn.SessionID() != g.sessionID {
		g.lose(ErrSessionExpired)
		return
	}
	if g.lockW == nil {
		// Acquire's one-request create sets no watch: set it now, while
		// the job starts, checking the node is still ours.
		g.rearmLock()
	}
	g.armKill()
}

// onWatch reacts to the lock node's or the group data's watch: the node's
// deletion is the loss gone, a watch the library dropped calls for a
// session check, any other change for rearm (which re-reads and re-checks).
func (g *guard) onWatch(ev zk.Event, gone error, rearm func()) {
	switch ev.Type {
	case zk.EventNodeDeleted:
		g.lose(gone)
	case zk.EventNotWatching:
		g.checkSession()
	default:
		rearm()
	}
}

// rearmLock re-reads the lock node with a watch and checks it is ours.
func (g *guard) rearmLock() {
	h := g.o.Lock
	if h == nil || g.ctx.Err() != nil {
		return
	}
	_, st, ch, err := g.s.conn.GetW(h.Path)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		g.lose(ErrLockLost)
	case err != nil:
		// The connection dropped again; the next session event re-arms.
		g.o.Logger.Debug().Err(err).Msg("re-read lock")
	case st.EphemeralOwner != h.SessionID || st.Czxid != h.Token:
		g.lose(ErrLockLost)
	default:
		g.lockW = ch
	}
}

// rearmData re-reads the group data with a watch and re-checks membership.
func (g *guard) rearmData() {
	if g.o.Group == nil || g.ctx.Err() != nil {
		return
	}
	b, _, ch, err := g.s.conn.GetW(g.o.Group.path)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		g.lose(ErrPrefixDeleted)
		return
	case err != nil:
		g.o.Logger.Debug().Err(err).Msg("re-read group data")
		return
	}
	g.dataW = ch
	ok, err := g.o.Member(b)
	switch {
	case err != nil:
		g.o.Logger.Error().Err(err).Msg("group data is malformed; keeping the last good data")
	case !ok:
		g.lose(ErrNotMember)
	}
}

// heartbeatsPerTimeout is how many heartbeat reads a running job sends per
// session timeout (see guard.run).
const heartbeatsPerTimeout = 20

// Self-fencing. The server expires the session once it has not heard from
// us for the session timeout S. We measure silence from the last byte we
// heard (the server heard us no earlier than just before that). The child
// must be dead by lastHeard + S - margin; TERM goes out a grace before.
// The grace is capped at fenceGraceShare of S so that TERM never goes out
// before about three quarters of S. What a partition may last without
// stopping anything is bounded earlier, by the library's receive timeout
// (see guard.run).
const (
	fenceMarginShare = 20   // margin = S/20: server-side expiry runs on tick boundaries, never early
	fenceGraceShare  = 0.18 // max grace = 0.18 S, so TERM >= 0.77 S after the last byte heard
)

func (g *guard) fenceTimes(lastHeard time.Time) (term, kill time.Time) {
	S := g.s.Timeout()
	kill = lastHeard.Add(S - S/fenceMarginShare)
	grace := g.o.Grace
	if max := time.Duration(float64(S) * fenceGraceShare); grace > max {
		grace = max
	}
	return kill.Add(-grace), kill
}

func (g *guard) fenceDelay() time.Duration {
	term, _ := g.fenceTimes(g.s.LastHeard())
	if d := time.Until(term); d > 0 {
		return d
	}
	return 0
}

func (g *guard) checkFence() {
	heard := g.s.LastHeard()
	term, kill := g.fenceTimes(heard)
	if time.Now().Before(term) {
		return
	}
	g.lose(&AtRiskError{Silent: time.Since(heard), Deadline: kill})
}

// heartbeat sends one cheap read unless the previous one is still out.
func (g *guard) heartbeat() {
	if !g.beating.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer g.beating.Store(false)
		_, _, _ = g.s.conn.Exists("/")
	}()
}
