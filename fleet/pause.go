package fleet

import (
	"strings"
	"time"
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

// IsGroupPause reports whether a marker name pauses a group, and which.
func IsGroupPause(marker string) (string, bool) {
	return strings.CutPrefix(marker, groupPause)
}

// SetPause stores a pause marker (see PauseName).
func (s *Store) SetPause(marker string, p Pause) error {
	if err := s.ensureNode(s.path(PausesDir)); err != nil {
		return err
	}
	return s.putJSON(s.path(PausesDir, marker), p)
}

// ClearPause deletes a pause marker; it reports whether there was one.
func (s *Store) ClearPause(marker string) (bool, error) {
	return s.remove(s.path(PausesDir, marker))
}

// PausedBy returns the marker that pauses a run of lock name with group
// ("" for none), or "" when none does. It costs one request (a listing);
// the marker is read only when one applies.
func (s *Store) PausedBy(name, group string) (string, *Pause, error) {
	markers, err := s.list(s.path(PausesDir))
	if err != nil {
		return "", nil, err
	}
	for _, m := range markers {
		if m != name && !(group != "" && m == groupPause+group) {
			continue
		}
		p := &Pause{}
		_, _ = s.getJSON(s.path(PausesDir, m), p) // a damaged or vanished marker still pauses
		return m, p, nil
	}
	return "", nil, nil
}

// Pauses returns every pause marker by name.
func (s *Store) Pauses() (map[string]Pause, error) {
	return decodeChildren[Pause](s, s.path(PausesDir))
}
