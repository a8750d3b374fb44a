package fleet

import (
	"encoding/json"
	"time"
)

// HostsDir holds host heartbeats: PREFIX/hosts/HOST, persistent JSON nodes
// that say when switchman last ran on the host, whatever the run did (a
// host whose every run is skipped writes no run record).
const HostsDir = "hosts"

// Beat is a host heartbeat's content.
type Beat struct {
	Host    string    `json:"host"`
	Seen    time.Time `json:"seen"`
	Version string    `json:"version,omitempty"`
}

// Heartbeat writes b as host b.Host's heartbeat: one write (plus the
// parent nodes on first use). Callers rate-limit it.
func (s *Store) Heartbeat(b Beat) error {
	return s.putJSON(s.path(HostsDir, b.Host), b)
}

// Heartbeats returns every host's last heartbeat by host name. A damaged
// node counts as seen at its last modification.
func (s *Store) Heartbeats() (map[string]time.Time, error) {
	nodes, err := s.readChildren(s.path(HostsDir))
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(nodes))
	for _, n := range nodes {
		var beat Beat
		if json.Unmarshal(n.data, &beat) != nil || beat.Seen.IsZero() {
			beat.Seen = time.UnixMilli(n.stat.Mtime)
		}
		out[n.name] = beat.Seen
	}
	return out, nil
}
