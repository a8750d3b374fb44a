package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// PausesDir holds pause markers: PREFIX/pauses/LOCK pauses one job,
// PREFIX/pauses/group:GROUP every job run with --group GROUP.
const PausesDir = "pauses"

// groupPause prefixes the marker name of a paused group.
const groupPause = "group:"

// Pause is a pause marker's content.
type Pause struct {
	Who    string    `json:"who"`
	When   time.Time `json:"when"`
	Reason string    `json:"reason,omitempty"`
}

// PauseName is the marker name of lock name, or of group when name is "".
func PauseName(name, group string) string {
	if name == "" {
		return groupPause + group
	}
	return name
}

// SetPause stores a pause marker (see PauseName).
func (s *Session) SetPause(prefix, marker string, p Pause) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	dir := path.Join(prefix, PausesDir)
	if err := s.ensureNode(dir); err != nil {
		return err
	}
	return s.put(path.Join(dir, marker), b)
}

// ClearPause deletes a pause marker; it reports whether there was one.
func (s *Session) ClearPause(prefix, marker string) (bool, error) {
	s.count()
	err := s.conn.Delete(path.Join(prefix, PausesDir, marker), -1)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete pause marker %s: %w", marker, err)
	}
	return true, nil
}

// PausedBy returns the marker that pauses a run of lock name with group
// ("" for none), or "" when none does. It costs one request (a listing);
// the marker is read only when one applies.
func (s *Session) PausedBy(prefix, name, group string) (string, *Pause, error) {
	dir := path.Join(prefix, PausesDir)
	markers, err := s.children(dir)
	if err != nil || len(markers) == 0 {
		return "", nil, err
	}
	for _, m := range markers {
		if m != name && !(group != "" && m == groupPause+group) {
			continue
		}
		p := &Pause{}
		s.count()
		if b, _, err := s.conn.Get(path.Join(dir, m)); err == nil {
			_ = json.Unmarshal(b, p) // a damaged marker still pauses
		}
		return m, p, nil
	}
	return "", nil, nil
}

// Pauses returns every pause marker by name.
func (s *Session) Pauses(prefix string) (map[string]Pause, error) {
	names, datas, _, err := s.readChildren(path.Join(prefix, PausesDir))
	if err != nil {
		return nil, err
	}
	out := map[string]Pause{}
	for i, b := range datas {
		if b != nil {
			var p Pause
			_ = json.Unmarshal(b, &p)
			out[names[i]] = p
		}
	}
	return out, nil
}

// IsGroupPause reports whether a marker name pauses a group, and which.
func IsGroupPause(marker string) (string, bool) {
	return strings.CutPrefix(marker, groupPause)
}
