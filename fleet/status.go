package fleet

import (
	"encoding/json"
	"path"

	"github.com/acme/switchman/lock"
)

// Holder is a lock held now: its name, what its node says and its fencing
// token.
type Holder struct {
	Name  string
	Info  lock.Info
	Token int64
}

// Locks returns the locks held now, sorted by name.
func (s *Store) Locks() ([]Holder, error) {
	nodes, err := s.readChildren(s.path(lock.LocksDir))
	if err != nil {
		return nil, err
	}
	out := make([]Holder, 0, len(nodes))
	for _, n := range nodes {
		h := Holder{Name: n.name, Token: n.stat.Czxid}
		_ = json.Unmarshal(n.data, &h.Info)
		out = append(out, h)
	}
	return out, nil
}

// Waiters returns, per child of PREFIX/dir (lock.QueuesDir or
// lock.SemaphoresDir), the data of its children: queued waiters or lease
// holders.
func (s *Store) Waiters(dir string) (map[string][][]byte, error) {
	base := s.path(dir)
	names, err := s.list(base)
	if err != nil {
		return nil, err
	}
	kids := make([][]string, len(names))
	if err := parallel(len(names), func(i int) (err error) {
		kids[i], err = s.list(path.Join(base, names[i]))
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string][][]byte{}
	for i, n := range names {
		paths := make([]string, len(kids[i]))
		for j, k := range kids[i] {
			paths[j] = path.Join(base, n, k)
		}
		datas, _, err := s.getMany(paths)
		if err != nil {
			return nil, err
		}
		for _, d := range datas {
			if d != nil {
				out[n] = append(out[n], d)
			}
		}
	}
	return out, nil
}
