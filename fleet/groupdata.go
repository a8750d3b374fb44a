package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/lock"
)

// HistoryDir holds, under the prefix, the last versions of the group data
// written by `switchman groups`, as sequential persistent nodes.
const HistoryDir = "history"

// historyNode is the name stem of history nodes; ZooKeeper appends a
// ten-digit sequence number.
const historyNode = "v-"

// ErrConflict means the group data changed between our read and our write:
// the compare-and-set failed and nothing was written.
var ErrConflict = errors.New("fleet: group data changed concurrently")

// Change is one accepted write of the group data, as kept in the history.
type Change struct {
	// Seq is the history sequence number (from the node name).
	Seq int64 `json:"-"`
	// Who made the change (user@host).
	Who string `json:"who"`
	// When the change was made.
	When time.Time `json:"when"`
	// What says what was done, e.g. "add reports web1".
	What string `json:"what"`
	// Before and After are the data replaced and the data written.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after"`
}

// ReadData returns the prefix znode's content (the group data). It returns
// an error wrapping lock.ErrNoPrefix when the node does not exist.
func (s *Store) ReadData() ([]byte, error) {
	b, _, err := s.ReadDataVersion()
	return b, err
}

// ReadDataVersion returns the prefix znode's content and version, the
// version being what WriteData compares against. It returns an error
// wrapping lock.ErrNoPrefix when the node does not exist.
func (s *Store) ReadDataVersion() ([]byte, int32, error) {
	b, st, err := s.get(s.prefix)
	if err != nil {
		return nil, 0, err
	}
	if b == nil {
		return nil, 0, s.errNoPrefix()
	}
	return b, st.Version, nil
}

// InitPrefix creates the prefix znode, and its missing parents, holding
// data, then the lock layout under it. It reports false when the prefix
// already existed, which it leaves untouched.
func (s *Store) InitPrefix(data []byte) (bool, error) {
	parts := strings.Split(strings.Trim(s.prefix, "/"), "/")
	for i := 1; i < len(parts); i++ {
		if err := s.conn.EnsureNode("/" + strings.Join(parts[:i], "/")); err != nil {
			return false, err
		}
	}
	_, err := s.conn.Create(s.prefix, data, 0)
	if errors.Is(err, zk.ErrNodeExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", s.prefix, err)
	}
	return true, s.conn.EnsureLayout(s.prefix, lock.LocksDir, lock.QueuesDir, lock.SemaphoresDir)
}

// WriteData replaces the prefix znode's content with c.After if its version
// is still version, and records c in the history, atomically (one
// multi-request): either both happen or neither. It returns an error
// wrapping ErrConflict when the data changed since it was read, and keeps
// only the last keep history entries.
func (s *Store) WriteData(version int32, c Change, keep int) error {
	entry, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode history entry: %w", err)
	}
	hist := s.path(HistoryDir)
	if err := s.ensureNode(hist); err != nil {
		return err
	}
	_, err = s.conn.Multi(
		&zk.SetDataRequest{Path: s.prefix, Data: c.After, Version: version},
		&zk.CreateRequest{Path: path.Join(hist, historyNode), Data: entry, Acl: s.conn.ACL(), Flags: zk.FlagSequence},
	)
	switch {
	case errors.Is(err, zk.ErrBadVersion):
		return fmt.Errorf("%w: %s was modified by someone else since it was read; nothing was written, re-read and retry", ErrConflict, s.prefix)
	case errors.Is(err, zk.ErrNoNode):
		return s.errNoPrefix()
	case err != nil:
		return fmt.Errorf("write %s: %w", s.prefix, err)
	}
	return s.pruneHistory(hist, keep)
}

func (s *Store) pruneHistory(hist string, keep int) error {
	if keep <= 0 {
		return nil
	}
	names, err := s.historyNames(hist)
	if err != nil || len(names) <= keep {
		return err
	}
	for _, n := range names[:len(names)-keep] {
		if _, err := s.remove(path.Join(hist, n)); err != nil {
			return fmt.Errorf("prune history: %w", err)
		}
	}
	return nil
}

// historyNames lists history nodes, oldest first.
func (s *Store) historyNames(hist string) ([]string, error) {
	names, err := s.list(hist)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, historyNode) {
			out = append(out, n)
		}
	}
	return out, nil // fixed-width sequence numbers sort as numbers
}

// History returns the recorded changes of the group data, oldest first.
func (s *Store) History() ([]Change, error) {
	hist := s.path(HistoryDir)
	names, err := s.historyNames(hist)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(names))
	for _, n := range names {
		b, _, err := s.get(path.Join(hist, n))
		if err != nil {
			return nil, fmt.Errorf("read history %s: %w", n, err)
		}
		if b == nil {
			continue // pruned meanwhile
		}
		var c Change
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("history entry %s: %w", n, err)
		}
		c.Seq, _ = strconv.ParseInt(strings.TrimPrefix(n, historyNode), 10, 64)
		out = append(out, c)
	}
	return out, nil
}
