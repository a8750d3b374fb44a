package lock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
)

// StartsDir holds, per lock, the server time of the job's last start:
// PREFIX/starts/LOCK, for --min-interval.
const StartsDir = "starts"

// StartClaim is the --min-interval start claim of one job,
// PREFIX/starts/NAME, bound to its prefix and name when made.
type StartClaim struct {
	s            *Session
	prefix, path string
}

// NewStartClaim returns the start claim of job name under prefix on
// session s. It sends nothing.
func NewStartClaim(s *Session, prefix, name string) *StartClaim {
	return &StartClaim{s: s, prefix: prefix, path: path.Join(prefix, StartsDir, name)}
}

// Claim decides whether the job may start now, given that it starts at
// most once per interval across the fleet. Time is the
// ZooKeeper server's (a node's mtime), never a host clock, so hosts whose
// clocks disagree still agree. It reports false with the time since the
// last start when that is under interval, or when another host claimed a
// start concurrently (compare-and-set). Three requests once the node
// exists.
//
// A connection lost under it (a server restart, a loaded ensemble shedding
// connections) runs the claim again from the read once the session is
// back: a first rewrite that happened only moved the version, and a claim
// whose reply was lost reads as a start just now, so the run is skipped:
// the conservative outcome. A connection that stays lost is
// znode.ErrUnreachable.
func (c *StartClaim) Claim(interval time.Duration) (bool, time.Duration, error) {
	var ok bool
	var since time.Duration
	err := c.s.conn.Retry(context.Background(), func() (err error) {
		ok, since, err = c.claimOnce(interval)
		return err
	})
	return ok, since, err
}

func (c *StartClaim) claimOnce(interval time.Duration) (bool, time.Duration, error) {
	s, p, prefix := c.s, c.path, c.prefix
	for attempt := 0; ; attempt++ {
		b, st, err := s.conn.Get(p)
		if errors.Is(err, zk.ErrNoNode) && attempt == 0 {
			if err := s.conn.EnsureNode(path.Dir(p)); err != nil {
				if errors.Is(err, zk.ErrNoNode) {
					// starts/ has no parent: never create the prefix.
					return false, 0, znode.NoPrefix(prefix)
				}
				return false, 0, err
			}
			if err := s.conn.EnsureNode(p); err != nil {
				return false, 0, err
			}
			continue
		}
		if err != nil {
			return false, 0, fmt.Errorf("read %s: %w", p, err)
		}
		last, _ := strconv.ParseInt(string(b), 10, 64) // empty: never started
		// Rewrite the same value only to learn the server's clock (the
		// new mtime), and to bump the version a concurrent claim races on.
		st2, err := s.conn.Set(p, b, st.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			return false, 0, nil // another host is claiming right now
		}
		if err != nil {
			return false, 0, fmt.Errorf("write %s: %w", p, err)
		}
		since := time.Duration(st2.Mtime-last) * time.Millisecond
		if last > 0 && since < interval {
			return false, since, nil
		}
		_, err = s.conn.Set(p, []byte(strconv.FormatInt(st2.Mtime, 10)), st2.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			return false, 0, nil
		}
		if err != nil {
			return false, 0, fmt.Errorf("write %s: %w", p, err)
		}
		return true, since, nil
	}
}
