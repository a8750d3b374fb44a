package fleet

import "github.com/acme/switchman/config"

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
