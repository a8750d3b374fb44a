package lock

import (
	"encoding/json"
	"fmt"
	"path"
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
// parent nodes on first use). Callers rate-limit it; see
// cmd/switchman's heartbeat.
func (s *Session) Heartbeat(prefix string, b Beat) error {
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode heartbeat: %w", err)
	}
	return s.put(path.Join(prefix, HostsDir, b.Host), data)
}

// Heartbeats returns every host's last heartbeat by host name. A damaged
// node counts as seen at its last modification.
func (s *Session) Heartbeats(prefix string) (map[string]time.Time, error) {
	names, datas, stats, err := s.readChildren(path.Join(prefix, HostsDir))
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for i, b := range datas {
		if b == nil {
			continue // deleted since the listing
		}
		var beat Beat
		if json.Unmarshal(b, &beat) != nil || beat.Seen.IsZero() {
			beat.Seen = time.UnixMilli(stats[i].Mtime)
		}
		out[names[i]] = beat.Seen
	}
	return out, nil
}
