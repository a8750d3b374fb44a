package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/lock"
)

// ErrNotHeld means nobody holds the lock a kill request names.
var ErrNotHeld = errors.New("fleet: lock not held")

// ErrOriginalHolder means the lock is held by the original Perl switchman,
// which watches no kill request: only a signal on its host stops it.
var ErrOriginalHolder = errors.New("fleet: lock held by the original switchman, which takes no kill requests")

// KillPath returns the kill-request node of lock name, which the holder's
// guard watches (lock.GuardOptions.KillPath).
func (s *Store) KillPath(name string) string { return s.path(lock.KillDir, name) }

// RequestKill asks the current holder of lock name to stop its child with
// sig: it writes a lock.KillRequest naming the holder's fencing token. It
// returns the holder and its token, or an error wrapping ErrNotHeld, or
// wrapping ErrOriginalHolder (with the holder) when the original tool holds
// it: then nothing is written.
func (s *Store) RequestKill(name string, sig syscall.Signal, who string) (lock.Info, int64, error) {
	lp := s.path(lock.LocksDir, name)
	b, st, err := s.get(lp)
	if err != nil {
		return lock.Info{}, 0, err
	}
	if b == nil {
		return lock.Info{}, 0, fmt.Errorf("%w: %s", ErrNotHeld, name)
	}
	info := lock.DecodeInfo(b)
	if info.Original {
		return info, st.Czxid, fmt.Errorf("%w: %s on %s pid %d", ErrOriginalHolder, name, info.Host, info.PID)
	}
	req, _ := json.Marshal(lock.KillRequest{Token: st.Czxid, Signal: int(sig), Who: who, When: time.Now().UTC()})
	kp := s.KillPath(name)
	if err := s.ensureNode(path.Dir(kp)); err != nil {
		return info, 0, err
	}
	return info, st.Czxid, s.put(kp, req)
}

// WaitReleased waits until lock name is no longer held by the holder with
// token, bounded by ctx.
func (s *Store) WaitReleased(ctx context.Context, name string, token int64) error {
	lp := s.path(lock.LocksDir, name)
	for {
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
func (s *Store) ClearKill(name string) error {
	_, err := s.remove(s.KillPath(name))
	return err
}
