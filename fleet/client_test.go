package fleet

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

// TestClient checks what a client holds: a live session, the store bound
// to its prefix on that session, and that Close ends the session, so its
// lock is free at once for another client.
func TestClient(t *testing.T) {
	srv := zktest.Start(t)
	opts := lock.Options{Servers: []string{srv.Addr}, SessionTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, opts, "/cl")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Session().Connected() || c.Store().Prefix() != "/cl" {
		t.Fatalf("connected %v, prefix %q", c.Session().Connected(), c.Store().Prefix())
	}
	if err := c.Store().RequirePrefix(); !errors.Is(err, lock.ErrNoPrefix) {
		t.Fatalf("RequirePrefix before the prefix exists: %v", err)
	}
	if _, err := c.Store().InitPrefix([]byte(`{"groups":{}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.NewMutex(c.Session(), "/cl", "job").Acquire(ctx, lock.Info{Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	other, err := Dial(ctx, opts, "/cl")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := lock.NewMutex(other.Session(), "/cl", "job").Acquire(ctx, lock.Info{Host: "h2"}); err != nil {
		t.Fatalf("lock of a closed client still held: %v", err)
	}
}

// TestClientDialFails checks that Dial returns the session's error, and
// that Close of the nil client a failed Dial returns does nothing.
func TestClientDialFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port that never answers ZooKeeper
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opts := lock.Options{Servers: []string{ln.Addr().String()}, SessionTimeout: 2 * time.Second, ConnectTimeout: 300 * time.Millisecond}
	c, err := Dial(context.Background(), opts, "/cl")
	if !errors.Is(err, lock.ErrUnreachable) || c != nil {
		t.Fatalf("Dial to a silent port: %v, %v", c, err)
	}
	c.Close()
}
