package lock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// proxied starts a server with the prefix /sw and returns a session
// through a fault proxy, and another straight to the server.
func proxied(t *testing.T) (p *faultproxy.Proxy, s, other *Session) {
	t.Helper()
	srv := zktest.Start(t)
	p, err := faultproxy.New([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	s = dial(t, p.Addr())
	other = dial(t, srv.Addr)
	mkPrefix(t, other, "/sw", "")
	return p, s, other
}

// TestCreateReplyLost drops the server's reply to the lock's create: the
// node exists on the server but the client sees a connection loss.
// Acquire must find out, by the node's owner, that the lock is ours: no
// orphan lock, no double holder, and after release the next run is free.
func TestCreateReplyLost(t *testing.T) {
	p, s, other := proxied(t)
	if err := other.ensureLayout("/sw"); err != nil {
		t.Fatal(err)
	}
	p.DropNextReplyTo(faultproxy.OpCreate, faultproxy.OpCreate2, faultproxy.OpMulti)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	held, err := NewMutex(s, "/sw", "job").Acquire(ctx, Info{Host: "me"})
	if err != nil {
		t.Fatalf("Acquire after a lost reply: %v", err)
	}
	if p.Stats().RepliesDropped != 1 {
		t.Fatalf("the fault did not fire: %+v", p.Stats())
	}
	if _, err := NewMutex(other, "/sw", "job").Acquire(ctx, Info{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second holder got %v, want ErrBusy", err)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMutex(other, "/sw", "job").Acquire(ctx, Info{}); err != nil {
		t.Fatalf("lock orphaned after release: %v", err)
	}
}

// TestLayoutReplyLost drops the server's reply to the first create of the
// layout (PREFIX/locks): the node exists but the client sees a connection
// loss, as when the ensemble's leader dies under a run's first lock.
// ensureLayout must retry on the new connection and finish the layout,
// not fail the run.
func TestLayoutReplyLost(t *testing.T) {
	p, s, other := proxied(t)
	p.DropNextReplyTo(faultproxy.OpCreate, faultproxy.OpCreate2)
	if err := s.ensureLayout("/sw"); err != nil {
		t.Fatalf("ensureLayout after a lost reply: %v", err)
	}
	if p.Stats().RepliesDropped != 1 {
		t.Fatalf("the fault did not fire: %+v", p.Stats())
	}
	for _, d := range []string{LocksDir, QueuesDir, SemaphoresDir} {
		if ok, _, err := other.conn.Exists("/sw/" + d); err != nil || !ok {
			t.Errorf("/sw/%s after ensureLayout: exists %v, %v", d, ok, err)
		}
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
	held, err := NewMutex(s, "/sw", "job").Acquire(ctx, Info{})
	if err != nil {
		t.Fatal(err)
	}
	gctx, stop := Guard(ctx, s, GuardOptions{Lock: held, Grace: time.Second})
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

// TestHungServerSkipped: with one server of three frozen (it accepts TCP
// and never answers, like a long GC pause), every fresh session comes
// through a healthy server within the connect timeout. The client tries
// the servers in a random order, so about a third of the dials meet the
// frozen one first; before the handshake was bounded, each of those waited
// for it past the connect timeout.
func TestHungServerSkipped(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3)
	hung := ens.Followers()[0]
	if err := hung.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Resume() })
	const runs, parallel = 30, 3
	const connect = 2 * time.Second
	errs := make(chan error, runs)
	took := make(chan time.Duration, runs)
	for w := 0; w < parallel; w++ {
		go func() {
			for i := 0; i < runs/parallel; i++ {
				begin := time.Now()
				s, err := Dial(context.Background(), Options{Servers: ens.Addrs(), SessionTimeout: 4 * time.Second, ConnectTimeout: connect})
				if err == nil {
					_, _, err = s.conn.Exists("/")
					s.Close()
				}
				took <- time.Since(begin)
				errs <- err
			}
		}()
	}
	var worst time.Duration
	failed := 0
	for i := 0; i < runs; i++ {
		if err := <-errs; err != nil {
			failed++
			t.Errorf("run %d: %v", i, err)
		}
		worst = max(worst, <-took)
	}
	t.Logf("%d of %d fresh sessions failed with one server of three frozen; slowest took %s (connect timeout %s)", failed, runs, worst, connect)
}

func TestHandshakeBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		servers          int
		connect, session time.Duration
		want             time.Duration
	}{
		{"one server", 1, 5 * time.Second, 3 * time.Second, 5 * time.Second},
		{"two servers: none may hang", 2, 5 * time.Second, 3 * time.Second, 5 * time.Second},
		{"three servers: one may hang", 3, 5 * time.Second, 30 * time.Second, 2500 * time.Millisecond},
		{"five servers: two may hang", 5, 6 * time.Second, 30 * time.Second, 2 * time.Second},
		{"capped at a third of the session timeout", 3, 5 * time.Second, 3 * time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := handshakeBudget(tt.servers, tt.connect, tt.session); got != tt.want {
				t.Errorf("handshakeBudget(%d, %s, %s) = %s, want %s", tt.servers, tt.connect, tt.session, got, tt.want)
			}
		})
	}
}

// TestClaimStartReplyLost drops the reply to the start claim's first write,
// as a restarting server or a loaded ensemble shedding connections does: the
// soak (seed 7) saw `switchman --min-interval` exit 70 on it. The claim must
// run again once the session is back and decide, not fail the run.
func TestClaimStartReplyLost(t *testing.T) {
	p, s, other := proxied(t)
	if _, _, err := NewStartClaim(other, "/sw", "job").Claim(0); err != nil {
		t.Fatal(err) // creates starts/job: the next claim's first request is its rewrite
	}
	if _, err := other.conn.Set("/sw/starts/job", nil, -1); err != nil {
		t.Fatal(err) // never started
	}
	p.DropNextReplyTo(faultproxy.OpSetData)
	ok, _, err := NewStartClaim(s, "/sw", "job").Claim(time.Hour)
	if err != nil || !ok {
		t.Fatalf("claim after a lost reply: ok=%v err=%v, want a won claim", ok, err)
	}
	if p.Stats().RepliesDropped != 1 {
		t.Fatalf("the fault did not fire: %+v", p.Stats())
	}
	if ok, _, err := NewStartClaim(other, "/sw", "job").Claim(time.Hour); ok || err != nil {
		t.Fatalf("second claim within the interval: ok=%v err=%v, want skipped", ok, err)
	}
}

// TestFindInVanishedQueue: after a connection loss a waiter looks for the
// queue node it may have created; queue directories are containers, which
// the server deletes once empty, so a missing directory means the create
// did not happen (the soak, seed 7, saw the lookup's ErrNoNode exit 70).
func TestFindInVanishedQueue(t *testing.T) {
	_, s, _ := proxied(t)
	w := s.newWaiter(context.Background(), time.Time{}, s.log)
	defer w.close()
	p, err := w.find("/sw/queues/gone", "job-", "token")
	if p != "" || err != nil {
		t.Fatalf("find in a missing directory = %q, %v; want \"\", nil", p, err)
	}
}
