package lock

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

// TestLocalSessionExpiredBeforeStart: a local session (one server's own,
// no transaction) whose connection drops and comes back on another
// server reads as expired there. Before the command starts, that is one
// more failed attempt round, logged and counted: the session goes on with
// a new session, and the lock is then taken on it as if nothing happened.
func TestLocalSessionExpiredBeforeStart(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3, zktest.Options{ExtraConfig: []string{
		"localSessionsEnabled=true", "localSessionsUpgradingEnabled=true",
	}})
	// The proxy sends each new connection to the next server, so the
	// reconnect after Reset lands on another server than the first.
	p, err := faultproxy.New(ens.Addrs()[:2])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var logs testenv.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Dial(ctx, Options{Servers: []string{p.Addr()}, SessionTimeout: 4 * time.Second,
		ConnectTimeout: 2 * time.Second, StartDeadline: 15 * time.Second, Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.conn.Create("/sw", nil, 0); err != nil { // a persistent node: the session stays local
		t.Fatal(err)
	}
	first := s.conn.SessionID()
	p.SetMode(faultproxy.Reset)
	p.SetMode(faultproxy.Pass)
	held, err := NewMutex(s, "/sw", "job").Acquire(ctx, Info{Host: "a.example.com", PID: 1, Start: time.Now()})
	if err != nil {
		t.Fatalf("Acquire after the expiry: %v\nlog:\n%s", err, logs.String())
	}
	if held.SessionID == first || held.SessionID != s.conn.SessionID() {
		t.Errorf("lock held by session %x, the first was %x, the current is %x; want the new one", held.SessionID, first, s.conn.SessionID())
	}
	if !strings.Contains(logs.String(), "zookeeper session expired; a new one follows") {
		t.Errorf("the expiry was not logged:\n%s", logs.String())
	}
	// The first connection, the one refused as expired, and the new
	// session's.
	if n := s.ConnectAttempts(); n < 3 {
		t.Errorf("ConnectAttempts = %d after an expiry; want at least 3", n)
	}
}
