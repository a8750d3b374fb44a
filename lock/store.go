package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// HistoryDir holds, under the prefix, the last versions of the group data
// written by `switchman groups`, as sequential persistent nodes.
const HistoryDir = "history"

// historyNode is the name stem of history nodes; ZooKeeper appends a
// ten-digit sequence number.
const historyNode = "v-"

// ErrConflict means the group data changed between our read and our write:
// the compare-and-set failed and nothing was written.
var ErrConflict = errors.New("lock: group data changed concurrently")

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

// ReadDataVersion returns the prefix znode's content and version, the
// version being what WriteData compares against. It returns an error
// wrapping ErrNoPrefix when the node does not exist.
func (s *Session) ReadDataVersion(prefix string) ([]byte, int32, error) {
	s.count()
	b, st, err := s.conn.Get(prefix)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, 0, errNoPrefix(prefix)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", prefix, err)
	}
	return b, st.Version, nil
}

// InitPrefix creates the prefix znode, and its missing parents, holding
// data. It reports false when the prefix already existed, which it leaves
// untouched.
func (s *Session) InitPrefix(prefix string, data []byte) (bool, error) {
	parts := strings.Split(strings.Trim(prefix, "/"), "/")
	for i := 1; i < len(parts); i++ {
		p := "/" + strings.Join(parts[:i], "/")
		s.count()
		if _, err := s.conn.Create(p, nil, 0, s.ACL()); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return false, fmt.Errorf("create %s: %w", p, err)
		}
	}
	s.count()
	_, err := s.conn.Create(prefix, data, 0, s.ACL())
	if errors.Is(err, zk.ErrNodeExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", prefix, err)
	}
	return true, s.EnsureLayout(prefix)
}

// WriteData replaces the prefix znode's content with c.After if its version
// is still version, and records c in the history, atomically (one
// multi-request): either both happen or neither. It returns an error
// wrapping ErrConflict when the data changed since it was read, and keeps
// only the last keep history entries.
func (s *Session) WriteData(prefix string, version int32, c Change, keep int) error {
	entry, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode history entry: %w", err)
	}
	hist := path.Join(prefix, HistoryDir)
	if err := s.ensureNode(hist); err != nil {
		return err
	}
	s.count()
	_, err = s.conn.Multi(
		&zk.SetDataRequest{Path: prefix, Data: c.After, Version: version},
		&zk.CreateRequest{Path: path.Join(hist, historyNode), Data: entry, Acl: s.ACL(), Flags: zk.FlagSequence},
	)
	switch {
	case errors.Is(err, zk.ErrBadVersion):
		return fmt.Errorf("%w: %s was modified by someone else since it was read; nothing was written, re-read and retry", ErrConflict, prefix)
	case errors.Is(err, zk.ErrNoNode):
		return errNoPrefix(prefix)
	case err != nil:
		return fmt.Errorf("write %s: %w", prefix, err)
	}
	return s.pruneHistory(hist, keep)
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

func (s *Session) pruneHistory(hist string, keep int) error {
	if keep <= 0 {
		return nil
	}
	names, err := s.historyNames(hist)
	if err != nil || len(names) <= keep {
		return err
	}
	for _, n := range names[:len(names)-keep] {
		s.count()
		if err := s.conn.Delete(path.Join(hist, n), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("prune history: %w", err)
		}
	}
	return nil
}

// historyNames lists history nodes, oldest first.
func (s *Session) historyNames(hist string) ([]string, error) {
	s.count()
	names, _, err := s.conn.Children(hist)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", hist, err)
	}
	out := names[:0]
	for _, n := range names {
		if strings.HasPrefix(n, historyNode) {
			out = append(out, n)
		}
	}
	sort.Strings(out) // fixed-width sequence numbers sort as numbers
	return out, nil
}

// History returns the recorded changes of the group data, oldest first.
func (s *Session) History(prefix string) ([]Change, error) {
	hist := path.Join(prefix, HistoryDir)
	names, err := s.historyNames(hist)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(names))
	for _, n := range names {
		s.count()
		b, _, err := s.conn.Get(path.Join(hist, n))
		if errors.Is(err, zk.ErrNoNode) {
			continue // pruned meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read history %s: %w", n, err)
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
