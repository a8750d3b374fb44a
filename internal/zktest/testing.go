package zktest

import (
	"errors"
	"os"
	"sync"
	"testing"
)

// Start starts a fresh standalone server for the test (see StartServer);
// t.Cleanup stops it and removes its directory, logging the tail of zk.log
// first if the test failed. At most one Options may be given. If ZooKeeper
// cannot be installed or started, the test fails when the CI environment
// variable is non-empty and is skipped otherwise, with the reason.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	SkipShort(t)
	o := oneOptions(t, opts)
	s, err := StartServer(o)
	if err != nil {
		unavailable(t, err)
		return nil // only reached when t is not a *testing.T (Skipf returned)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("zktest: server %d (%s) zk.log tail:\n%s", s.ID, s.Addr, s.LogTail(logTailLines))
		}
		if err := s.Close(); err != nil {
			t.Errorf("zktest: %v", err)
		}
	})
	return s
}

// StartEnsemble starts a fresh ensemble of n servers for the test (see
// StartEnsembleServers), with the same cleanup and skip/fail rules as Start.
func StartEnsemble(t testing.TB, n int, opts ...Options) *Ensemble {
	t.Helper()
	SkipShort(t)
	o := oneOptions(t, opts)
	e, err := StartEnsembleServers(n, o)
	if err != nil {
		unavailable(t, err)
		return nil
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range e.Servers {
				t.Logf("zktest: server %d (%s) zk.log tail:\n%s", s.ID, s.Addr, s.LogTail(logTailLines))
			}
		}
		if err := e.Close(); err != nil {
			t.Errorf("zktest: %v", err)
		}
	})
	return e
}

// oneOptions returns the optional Options argument or the zero value.
func oneOptions(t testing.TB, opts []Options) Options {
	t.Helper()
	switch len(opts) {
	case 0:
		return Options{}
	case 1:
		return opts[0]
	default:
		t.Fatalf("zktest: at most one Options, got %d", len(opts))
		return Options{}
	}
}

// SkipShort skips t under go test -short: the fast inner loop runs the
// pure logic only, and make test and CI run everything.
func SkipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("zktest: -short: skipping a test that needs a real ZooKeeper or real processes")
	}
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one server for all the tests of a test binary that call
// it (each test then works under a prefix of its own), started on first
// use, with the same skip/fail rules as Start. CloseShared stops it; call it
// from TestMain after m.Run.
func Shared(t testing.TB) *Server {
	t.Helper()
	SkipShort(t)
	shared.once.Do(func() {
		if shared.err = EnsureInstalled(); shared.err == nil {
			shared.srv, shared.err = StartServer(Options{})
		}
	})
	if shared.err != nil {
		unavailable(t, shared.err)
		return nil
	}
	return shared.srv
}

// CloseShared stops the server Shared started, if any.
func CloseShared() {
	if shared.srv != nil {
		shared.srv.Close()
	}
}

// unavailable fails the test under CI (ZooKeeper is part of the required
// environment there) and skips it elsewhere (a developer without root or
// network should still be able to run the other tests).
//
// Bad options are the caller's bug and always fail the test.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrBadOptions) {
		t.Fatalf("%v", err)
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("zktest: ZooKeeper unavailable (failing, not skipping, because CI is set): %v", err)
		return
	}
	t.Skipf("zktest: ZooKeeper unavailable, skipping (set CI=1 to fail instead): %v", err)
}
