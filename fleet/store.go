package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
	"github.com/acme/switchman/lock"
)

// Store reads and writes the fleet's state under one prefix. It is safe for
// concurrent use; it does not own the session, whose owner closes it.
type Store struct {
	// conn is the session's request layer: every request of the store
	// goes through it.
	conn   *znode.Client
	prefix string
}

// New returns the store of prefix on session s.
func New(s *lock.Session, prefix string) *Store {
	return &Store{conn: s.Client(), prefix: prefix}
}

// Prefix returns the prefix znode the store is bound to.
func (s *Store) Prefix() string { return s.prefix }

// Requests returns how many requests the store's session sent, the
// store's among them; tests use it to guard the number of round trips per
// operation.
func (s *Store) Requests() int64 { return s.conn.Requests() }

// path joins elems under the prefix.
func (s *Store) path(elems ...string) string {
	return path.Join(append([]string{s.prefix}, elems...)...)
}

// get reads p, retried across a connection loss; a missing node reads as
// nil data with a nil error.
func (s *Store) get(p string) ([]byte, *zk.Stat, error) { return s.conn.Read(p) }

// getJSON reads p into v. It reports false when p is missing; content that
// does not decode leaves v as it was (a damaged node only loses detail).
func (s *Store) getJSON(p string, v any) (bool, error) {
	b, _, err := s.get(p)
	if b == nil || err != nil {
		return false, err
	}
	_ = json.Unmarshal(b, v)
	return true, nil
}

// put sets p's data, creating p and its parents below the prefix on first
// use. It returns an error wrapping znode.ErrNoPrefix when the prefix is
// missing: it never creates the prefix.
func (s *Store) put(p string, b []byte) error {
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
	return s.create(p, b)
}

// putJSON encodes v and puts it at p.
func (s *Store) putJSON(p string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", p, err)
	}
	return s.put(p, b)
}

// create creates p holding b, or sets b when p exists already.
func (s *Store) create(p string, b []byte) error {
	_, err := s.conn.Create(p, b, 0)
	if errors.Is(err, zk.ErrNodeExists) {
		_, err = s.conn.Set(p, b, -1)
	}
	return wrapPut(p, err)
}

func wrapPut(p string, err error) error {
	if err != nil {
		return fmt.Errorf("write %s: %w", p, znode.AuthErr(err))
	}
	return nil
}

// ensureNode creates the persistent node p, below the prefix, with no data
// if it is missing. It never creates the prefix: for the prefix itself, or
// a node whose parent is the missing prefix, it returns an error wrapping
// znode.ErrNoPrefix. Only InitPrefix (groups init) creates the prefix; a
// mistyped prefix must fail every run, not become a private namespace.
func (s *Store) ensureNode(p string) error {
	if p == s.prefix {
		return s.RequirePrefix()
	}
	if !strings.HasPrefix(p, s.prefix+"/") {
		return fmt.Errorf("create %s: outside the prefix %s", p, s.prefix)
	}
	err := s.conn.EnsureNode(p)
	if errors.Is(err, zk.ErrNoNode) && path.Dir(p) == s.prefix {
		return s.errNoPrefix()
	}
	return err
}

// RequirePrefix returns an error wrapping znode.ErrNoPrefix (which is
// lock.ErrNoPrefix) when the prefix znode does not exist. One request.
func (s *Store) RequirePrefix() error { return s.conn.RequirePrefix(s.prefix) }

// remove deletes p at any version; it reports whether p existed.
func (s *Store) remove(p string) (bool, error) { return s.conn.Remove(p) }

// list returns a node's children, sorted, retried across a connection
// loss; a missing node has none.
func (s *Store) list(p string) ([]string, error) { return s.conn.List(p) }

// listEach lists the children of dir/NAME for every name, in parallel, as
// list does.
func (s *Store) listEach(dir string, names []string) ([][]string, error) {
	kids := make([][]string, len(names))
	err := parallel(len(names), func(i int) (err error) {
		kids[i], err = s.list(path.Join(dir, names[i]))
		return err
	})
	return kids, err
}

// node is one child read by readChildren.
type node struct {
	name string
	data []byte
	stat *zk.Stat
}

// readChildren lists dir and reads every child, in parallel; a child gone
// since the listing is left out.
func (s *Store) readChildren(dir string) ([]node, error) {
	names, err := s.list(dir)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = path.Join(dir, n)
	}
	datas, stats, err := s.getMany(paths)
	if err != nil {
		return nil, err
	}
	out := make([]node, 0, len(names))
	for i, b := range datas {
		if b != nil {
			out = append(out, node{name: names[i], data: b, stat: stats[i]})
		}
	}
	return out, nil
}

// decodeChildren reads every child of dir as JSON into a T, by name. A
// child that does not decode keeps T's zero value: a damaged marker still
// counts.
func decodeChildren[T any](s *Store, dir string) (map[string]T, error) {
	nodes, err := s.readChildren(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(nodes))
	for _, n := range nodes {
		var v T
		_ = json.Unmarshal(n.data, &v)
		out[n.name] = v
	}
	return out, nil
}

// parallelism bounds the requests in flight: the client pipelines them on
// its one connection, so a few dozen hide the round-trip time without
// flooding the server.
const parallelism = 64

// parallel runs f(0..n-1) with bounded concurrency and returns the first
// error.
func parallel(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, parallelism)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// getMany reads paths in parallel; a node deleted meanwhile reads as nil.
func (s *Store) getMany(paths []string) ([][]byte, []*zk.Stat, error) {
	datas := make([][]byte, len(paths))
	stats := make([]*zk.Stat, len(paths))
	err := parallel(len(paths), func(i int) (err error) {
		datas[i], stats[i], err = s.get(paths[i])
		return err
	})
	return datas, stats, err
}

// errNoPrefix says the prefix znode is missing.
func (s *Store) errNoPrefix() error { return znode.NoPrefix(s.prefix) }
