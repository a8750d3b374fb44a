package zktest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// StartEnsembleWithObservers starts an ensemble of voters participants
// plus observers observers (ZooKeeper's zookeeperObservers: members that
// serve clients and forward writes but take no part in the quorum's vote).
// The observers are the last members (ids voters+1 and up); their
// server.N lines end in ":observer" on every member, and their own zoo.cfg
// says peerType=observer. Otherwise it behaves as StartEnsembleServers,
// which it equals when observers is 0.
func StartEnsembleWithObservers(voters, observers int, opts Options) (*Ensemble, error) {
	if voters < 1 || observers < 0 || (observers > 0 && voters+observers < 2) {
		return nil, fmt.Errorf("%w: %d voters and %d observers", ErrBadOptions, voters, observers)
	}
	return startFresh(opts, func(o Options) (*Ensemble, error) {
		return startEnsembleOnce(voters+observers, o, func(e *Ensemble) error { return markObservers(e, voters) })
	})
}

// serverLine matches a zoo.cfg server.N line, capturing N.
var serverLine = regexp.MustCompile(`(?m)^server\.(\d+)=(.*)$`)

// markObservers rewrites every member's zoo.cfg so that the members after
// the first voters are observers.
func markObservers(e *Ensemble, voters int) error {
	for _, s := range e.Servers {
		b, err := os.ReadFile(s.cfgPath)
		if err != nil {
			return fmt.Errorf("read %s: %w", s.cfgPath, err)
		}
		text := serverLine.ReplaceAllStringFunc(string(b), func(line string) string {
			m := serverLine.FindStringSubmatch(line)
			if id, _ := strconv.Atoi(m[1]); id > voters {
				return line + ":observer"
			}
			return line
		})
		if s.ID > voters {
			text += "peerType=observer\n"
		}
		if err := os.WriteFile(s.cfgPath, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", s.cfgPath, err)
		}
	}
	return nil
}
