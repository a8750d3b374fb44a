package lock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// TestCreateReplyLost drops the server's reply to the lock's create: the
// node exists on the server but the client sees a connection loss.
// Acquire must find out, by the node's owner, that the lock is ours: no
// orphan lock, no double holder, and after release the next run is free.
func TestCreateReplyLost(t *testing.T) {
	srv := zktest.Start(t)
	p, err := faultproxy.New([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := dial(t, p.Addr())
	other := dial(t, srv.Addr)
	mkPrefix(t, other, "/sw", "")
	if err := other.EnsureLayout("/sw"); err != nil {
		t.Fatal(err)
	}
	p.DropNextReplyTo(faultproxy.OpCreate, faultproxy.OpCreate2, faultproxy.OpMulti)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	held, err := s.Acquire(ctx, "/sw", "job", Info{Host: "me"})
	if err != nil {
		t.Fatalf("Acquire after a lost reply: %v", err)
	}
	if p.Stats().RepliesDropped != 1 {
		t.Fatalf("the fault did not fire: %+v", p.Stats())
	}
	if _, err := other.Acquire(ctx, "/sw", "job", Info{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second holder got %v, want ErrBusy", err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Acquire(ctx, "/sw", "job", Info{}); err != nil {
		t.Fatalf("lock orphaned after release: %v", err)
	}
}

// TestEnsembleLeaderKilled kills the leader of a 3-node ensemble while the
// lock is held: the session moves to another server and nothing is lost.
func TestEnsembleLeaderKilled(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3)
	ctx := context.Background()
	s, err := Dial(ctx, Options{Servers: ens.Addrs(), SessionTimeout: 6 * time.Second, ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mkPrefix(t, s, "/sw", "")
	held, err := s.Acquire(ctx, "/sw", "job", Info{})
	if err != nil {
		t.Fatal(err)
	}
	gctx, stop := s.Guard(ctx, GuardOptions{Lock: held, Grace: time.Second})
	defer stop()
	leader, err := ens.Leader()
	if err != nil {
		t.Fatal(err)
	}
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	// A new leader is elected within seconds; the session (6s) survives.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := ens.Leader(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new leader")
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-gctx.Done():
		t.Fatalf("guard fired after a leader change: %v", context.Cause(gctx))
	case <-time.After(2 * time.Second):
	}
	_, st, err := s.conn.Get(held.Path)
	if err != nil || st.EphemeralOwner != held.SessionID {
		t.Fatalf("lock lost across the leader change: %v", err)
	}
}
