package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"
)

// KillDir holds kill requests: PREFIX/kill/LOCK, a persistent node naming
// the holder's fencing token, so that a request left behind can never stop
// a later holder of the same lock.
const KillDir = "kill"

// ErrNotHeld means nobody holds the lock a kill request names.
var ErrNotHeld = errors.New("lock: not held")

// KillRequest is a kill node's content.
type KillRequest struct {
	Token  int64     `json:"fencing_token"`
	Signal int       `json:"signal"`
	Who    string    `json:"who"`
	When   time.Time `json:"when"`
}

// KillPath returns the kill-request node of lock name.
func KillPath(prefix, name string) string { return path.Join(prefix, KillDir, name) }

// RequestKill asks the current holder of lock name to stop its child with
// sig. It returns the holder and its fencing token, or an error wrapping
// ErrNotHeld.
func (s *Session) RequestKill(prefix, name string, sig syscall.Signal, who string) (Info, int64, error) {
	lp := path.Join(prefix, LocksDir, name)
	s.count()
	b, st, err := s.conn.Get(lp)
	if errors.Is(err, zk.ErrNoNode) {
		return Info{}, 0, fmt.Errorf("%w: %s", ErrNotHeld, name)
	}
	if err != nil {
		return Info{}, 0, fmt.Errorf("read lock %s: %w", lp, err)
	}
	var info Info
	_ = json.Unmarshal(b, &info)
	req, _ := json.Marshal(KillRequest{Token: st.Czxid, Signal: int(sig), Who: who, When: time.Now().UTC()})
	kp := KillPath(prefix, name)
	if err := s.ensureNode(path.Dir(kp)); err != nil {
		return info, 0, err
	}
	return info, st.Czxid, s.put(kp, req)
}

// WaitReleased waits until the lock name is no longer held by the holder
// with token, bounded by ctx.
func (s *Session) WaitReleased(ctx context.Context, prefix, name string, token int64) error {
	lp := path.Join(prefix, LocksDir, name)
	for {
		s.count()
		_, st, ch, err := s.conn.GetW(lp)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch lock %s: %w", lp, err)
		}
		if st.Czxid != token {
			return nil // a later holder: ours is gone
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// ClearKill deletes the kill request of lock name, if any.
func (s *Session) ClearKill(prefix, name string) error {
	s.count()
	err := s.conn.Delete(KillPath(prefix, name), -1)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete kill request %s: %w", name, err)
	}
	return nil
}

// armKill sets a watch on the kill-request node and, when one exists for
// our token, hands its signal to OnKill. It is called when the guard
// starts (one exists-watch: the only request it adds to a run) and after
// each event or reconnect.
func (g *guard) armKill() {
	if g.o.KillPath == "" || g.o.OnKill == nil || g.o.Lock == nil || g.ctx.Err() != nil || g.killed {
		return
	}
	g.s.count()
	ok, _, ch, err := g.s.conn.ExistsW(g.o.KillPath)
	if err != nil {
		g.o.Logger.Debug().Err(err).Msg("watch kill request")
		return
	}
	g.killW = ch
	if !ok {
		return
	}
	g.s.count()
	b, _, err := g.s.conn.Get(g.o.KillPath)
	if err != nil {
		return // deleted meanwhile; the watch reports what comes next
	}
	var req KillRequest
	if json.Unmarshal(b, &req) != nil || req.Token != g.o.Lock.Token {
		return // stale: for an earlier holder
	}
	g.killed = true
	g.o.Logger.Info().Str("who", req.Who).Int("signal", req.Signal).Msg("kill requested")
	g.o.OnKill(syscall.Signal(req.Signal))
}
