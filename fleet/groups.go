package fleet

import (
	"bytes"
	"encoding/json"

	"github.com/acme/switchman/config"
)

// Groups reads and parses the group data in the prefix znode: the one
// way a command that only reads the groups gets them. It returns an
// error wrapping lock.ErrNoPrefix when the node does not exist, and a
// *config.DataError, naming the prefix, when its content does not parse.
func (s *Store) Groups() (*config.Data, error) {
	b, err := s.ReadData()
	if err != nil {
		return nil, err
	}
	return config.ParseData(s.prefix, b)
}

// HistoryJSON is group data b as a Change keeps it, so that the history
// entry stays valid JSON whatever was stored: b itself when it is JSON,
// an empty object when it is empty, and a JSON string otherwise.
func HistoryJSON(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage(`{}`)
	}
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}
