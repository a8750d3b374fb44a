package lock

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
)

// StartsDir holds, per lock, the server time of the job's last start:
// PREFIX/starts/LOCK, for --min-interval.
const StartsDir = "starts"

// ClaimStart decides whether the job lock name may start now, given that
// it starts at most once per interval across the fleet. Time is the
// ZooKeeper server's (a node's mtime), never a host clock, so hosts whose
// clocks disagree still agree. It reports false with the time since the
// last start when that is under interval, or when another host claimed a
// start concurrently (compare-and-set). Three requests once the node
// exists.
func (s *Session) ClaimStart(prefix, name string, interval time.Duration) (bool, time.Duration, error) {
	p := path.Join(prefix, StartsDir, name)
	for attempt := 0; ; attempt++ {
		s.count()
		b, st, err := s.conn.Get(p)
		if errors.Is(err, zk.ErrNoNode) && attempt == 0 {
			if err := s.ensureNode(path.Dir(p)); err != nil {
				if errors.Is(err, zk.ErrNoNode) {
					// starts/ has no parent: never create the prefix.
					return false, 0, errNoPrefix(prefix)
				}
				return false, 0, err
			}
			if err := s.ensureNode(p); err != nil {
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
		s.count()
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
		s.count()
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

// ensureNode creates a persistent node with no data if it is missing.
func (s *Session) ensureNode(p string) error {
	s.count()
	_, err := s.conn.Create(p, nil, 0, s.ACL())
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("create %s: %w", p, err)
	}
	return nil
}
