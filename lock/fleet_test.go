package lock

import (
	"context"
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

func TestWriteDataCASAndHistory(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	_, v, err := s.ReadDataVersion("/sw")
	if err != nil {
		t.Fatal(err)
	}
	for i, after := range []string{`{"groups":{"a":["x"]}}`, `{"groups":{"a":["y"]}}`, `{"groups":{"a":["z"]}}`} {
		if err := s.WriteData("/sw", v+int32(i), Change{What: after, After: []byte(after)}, 2); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// a stale version is refused and writes nothing, history included
	err = s.WriteData("/sw", v, Change{What: "stale", After: []byte(`{}`)}, 2)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
	b, _ := s.ReadData("/sw")
	if string(b) != `{"groups":{"a":["z"]}}` {
		t.Fatalf("data %s", b)
	}
	hist, err := s.History("/sw")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || string(hist[1].After) != `{"groups":{"a":["z"]}}` || hist[0].Seq >= hist[1].Seq {
		t.Fatalf("history kept %d entries: %+v", len(hist), hist)
	}
}

// TestRunRecordRoundTrips guards what run records add to a run: one read
// and one write at start, one write at finish, once the nodes exist.
func TestRunRecordRoundTrips(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	r := &Run{Lock: "job", Host: "h1", Start: time.Now()}
	if err := s.RecordStart("/sw", r); err != nil { // creates the nodes
		t.Fatal(err)
	}
	r.Result, r.Finish = ResultSuccess, time.Now()
	if err := s.RecordFinish("/sw", r); err != nil {
		t.Fatal(err)
	}
	before := s.Requests()
	r2 := &Run{Lock: "job", Host: "h1", Start: time.Now()}
	if err := s.RecordStart("/sw", r2); err != nil {
		t.Fatal(err)
	}
	if r2.LastSuccess.IsZero() {
		t.Error("last success not carried over")
	}
	r2.Result, r2.Finish = "failure", time.Now()
	if err := s.RecordFinish("/sw", r2); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests() - before; got != 3 {
		t.Errorf("recording made %d requests, want 3", got)
	}
	runs, err := s.Runs("/sw", "")
	if err != nil || len(runs) != 1 || runs[0].Result != "failure" || runs[0].LastSuccess.IsZero() {
		t.Fatalf("runs %+v %v", runs, err)
	}
}

func TestGuardKillRequest(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{}}`)
	s := dial(t, srv.Addr)
	held, err := s.Acquire(context.Background(), "/sw", "job", Info{Host: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan syscall.Signal, 2)
	ctx, stop := s.Guard(context.Background(), GuardOptions{Lock: held, KillPath: KillPath("/sw", "job"),
		OnKill: func(sig syscall.Signal) { got <- sig }})
	defer stop()
	// A request for an earlier holder's token is ignored.
	stale, _ := encodeJSON(KillRequest{Token: held.Token - 1, Signal: 9})
	if err := admin.put(KillPath("/sw", "job"), stale); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-got:
		t.Fatalf("stale request delivered %v", sig)
	case <-time.After(300 * time.Millisecond):
	}
	info, token, err := admin.RequestKill("/sw", "job", syscall.SIGINT, "tester")
	if err != nil || token != held.Token || info.Host != "h1" {
		t.Fatalf("RequestKill: %v %d %+v", err, token, info)
	}
	select {
	case sig := <-got:
		if sig != syscall.SIGINT {
			t.Fatalf("signal %v", sig)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("kill request not delivered")
	}
	if ctx.Err() != nil {
		t.Fatal("a kill request must not cancel the guard: the lock stays until the child is dead")
	}
	// the release is seen by a waiter
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go held.Release()
	if err := admin.WaitReleased(wctx, "/sw", "job", token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.RequestKill("/sw", "job", syscall.SIGTERM, "tester"); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("kill of a free lock: %v", err)
	}
}

// encodeJSON is json.Marshal, for test fixtures.
func encodeJSON(v any) ([]byte, error) { return json.Marshal(v) }

// TestClaimStartOnce: many sessions claiming a start at once, within the
// interval: exactly one may start.
func TestClaimStartOnce(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{}}`)
	const n = 6
	sessions := make([]*Session, n)
	for i := range sessions {
		sessions[i] = dial(t, srv.Addr)
	}
	wins := make(chan bool, n)
	for _, s := range sessions {
		go func() {
			ok, _, err := s.ClaimStart("/sw", "job", time.Hour)
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	won := 0
	for range n {
		select {
		case ok := <-wins:
			if ok {
				won++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("claims did not return")
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won, want exactly 1", won)
	}
	if ok, since, _ := admin.ClaimStart("/sw", "job", time.Hour); ok || since <= 0 || since > time.Minute {
		t.Fatalf("claim within the interval: ok=%v since=%s", ok, since)
	}
}

// TestRecordWaitingRestore covers the waiting state's edge cases: a job
// with no record gets one and loses it again when the wait gives up; a
// record that says running (another instance on this host) is left alone;
// a record changed by someone else meanwhile is not overwritten.
func TestRecordWaitingRestore(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	get := func(lock string) (*Run, bool) {
		t.Helper()
		b, _, err := s.conn.Get("/sw/runs/" + lock + "/h1")
		if errors.Is(err, zk.ErrNoNode) {
			return nil, false
		}
		if err != nil {
			t.Fatal(err)
		}
		var r Run
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return &r, true
	}

	t.Run("no record before", func(t *testing.T) {
		prev, wrote, err := s.RecordWaiting("/sw", "new", "h1", "g")
		if err != nil || !wrote || prev != nil {
			t.Fatalf("prev %v wrote %v err %v", prev, wrote, err)
		}
		if r, ok := get("new"); !ok || r.State != StateWaiting || r.Start.IsZero() || r.Group != "g" {
			t.Fatalf("waiting record %+v", r)
		}
		if err := s.RestoreRecord("/sw", "new", "h1", prev); err != nil {
			t.Fatal(err)
		}
		if r, ok := get("new"); ok {
			t.Fatalf("record left after the wait gave up: %+v", r)
		}
	})
	t.Run("running elsewhere on this host", func(t *testing.T) {
		if err := s.RecordStart("/sw", &Run{Lock: "busy", Host: "h1", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		_, wrote, err := s.RecordWaiting("/sw", "busy", "h1", "")
		if err != nil || wrote {
			t.Fatalf("wrote %v err %v over a running record", wrote, err)
		}
		if r, _ := get("busy"); r.State != StateRunning {
			t.Fatalf("running record changed: %+v", r)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		prev, wrote, err := s.RecordWaiting("/sw", "raced", "h1", "")
		if err != nil || !wrote {
			t.Fatal(wrote, err)
		}
		// Another instance on this host starts and records first.
		if err := s.RecordStart("/sw", &Run{Lock: "raced", Host: "h1", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.RestoreRecord("/sw", "raced", "h1", prev); err != nil {
			t.Fatal(err)
		}
		if r, ok := get("raced"); !ok || r.State != StateRunning {
			t.Fatalf("restore overwrote the newer record: %+v", r)
		}
	})
}
