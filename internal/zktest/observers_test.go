package zktest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartEnsembleWithObserversBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name              string
		voters, observers int
	}{
		{"no voters", 0, 2},
		{"negative observers", 3, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := StartEnsembleWithObservers(tc.voters, tc.observers, Options{})
			if !errors.Is(err, ErrBadOptions) {
				if e != nil {
					e.Close()
				}
				t.Fatalf("StartEnsembleWithObservers(%d, %d) error %v, want ErrBadOptions", tc.voters, tc.observers, err)
			}
		})
	}
}

func TestMarkObservers(t *testing.T) {
	dir := t.TempDir()
	members := []member{{id: 1, clientPort: 1, peerPort: 11, electionPort: 21}, {id: 2, clientPort: 2, peerPort: 12, electionPort: 22},
		{id: 3, clientPort: 3, peerPort: 13, electionPort: 23}}
	e := &Ensemble{root: dir}
	if err := e.create(Options{}.withDefaults(), members); err != nil {
		t.Fatal(err)
	}
	if err := markObservers(e, 2); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		id     int
		has    []string
		hasNot []string
	}{
		{"voter", 1, []string{"server.1=127.0.0.1:11:21\n", "server.2=127.0.0.1:12:22\n", "server.3=127.0.0.1:13:23:observer\n"}, []string{"peerType"}},
		{"observer", 3, []string{"server.1=127.0.0.1:11:21\n", "server.3=127.0.0.1:13:23:observer\n", "peerType=observer\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(e.Servers[tc.id-1].Dir, cfgName))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.has {
				if !strings.Contains(string(b), want) {
					t.Errorf("zoo.cfg of server %d lacks %q:\n%s", tc.id, want, b)
				}
			}
			for _, bad := range tc.hasNot {
				if strings.Contains(string(b), bad) {
					t.Errorf("zoo.cfg of server %d has %q:\n%s", tc.id, bad, b)
				}
			}
		})
	}
}
