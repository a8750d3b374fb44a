package fleet

import (
	"path"

	"github.com/acme/switchman/lock"
)

// Holder is a lock held now: its name, what its node says and its fencing
// token. Its JSON is what `switchman status` prints for the lock.
type Holder struct {
	Name string `json:"lock"`
	lock.Info
	Token int64 `json:"fencing_token"`
}

// Locks returns the locks held now, sorted by name.
func (s *Store) Locks() ([]Holder, error) {
	nodes, err := s.readChildren(s.path(lock.LocksDir))
	if err != nil {
		return nil, err
	}
	out := make([]Holder, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, Holder{Name: n.name, Token: n.stat.Czxid, Info: lock.DecodeInfo(n.data)})
	}
	return out, nil
}

// Waiters returns, per child of PREFIX/dir (lock.QueuesDir), the data of
// its children: the queued waiters. Lease holders are read by Leases.
func (s *Store) Waiters(dir string) (map[string][][]byte, error) {
	base := s.path(dir)
	names, err := s.list(base)
	if err != nil {
		return nil, err
	}
	kids, err := s.listEach(base, names)
	if err != nil {
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

// Lease is one holder of a resource: COUNT of TOTAL units, held by the
// process its node names (this tool's or the original's).
type Lease struct {
	Node         string
	Count, Total int64
	Info         lock.Info
}

// Leases returns the holders of every resource, by resource: the nodes
// under PREFIX/semaphores/RESOURCE/leases, named COUNT_TOTAL_SEQUENCE by
// both tools. Nodes of another shape are left out.
func (s *Store) Leases() (map[string][]Lease, error) {
	base := s.path(lock.SemaphoresDir)
	names, err := s.list(base)
	if err != nil {
		return nil, err
	}
	holders := make([][]node, len(names))
	if err := parallel(len(names), func(i int) (err error) {
		holders[i], err = s.readChildren(path.Join(base, names[i], "leases"))
		return err
	}); err != nil {
		return nil, err
	}
	out := map[string][]Lease{}
	for i, res := range names {
		for _, n := range holders[i] {
			count, total, ok := lock.ParseLeaseNode(n.name)
			if !ok {
				continue
			}
			out[res] = append(out[res], Lease{Node: n.name, Count: count, Total: total, Info: lock.DecodeInfo(n.data)})
		}
	}
	return out, nil
}
