package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

// store dials a session to addr and returns the store of prefix on it,
// creating the prefix with data.
func store(t *testing.T, addr, prefix, data string) *Store {
	t.Helper()
	s := New(dial(t, addr), prefix)
	if _, err := s.conn.Create(prefix, []byte(data), 0); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create %s: %v", prefix, err)
	}
	return s
}

func dial(t *testing.T, addr string) *lock.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := lock.Dial(ctx, lock.Options{Servers: []string{addr}, SessionTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestWriteDataCASAndHistory(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	_, v, err := s.ReadDataVersion()
	if err != nil {
		t.Fatal(err)
	}
	for i, after := range []string{`{"groups":{"a":["x"]}}`, `{"groups":{"a":["y"]}}`, `{"groups":{"a":["z"]}}`} {
		if err := s.WriteData(v+int32(i), Change{What: after, After: []byte(after)}, 2); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// a stale version is refused and writes nothing, history included
	err = s.WriteData(v, Change{What: "stale", After: []byte(`{}`)}, 2)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale write: %v, want ErrConflict", err)
	}
	b, _ := s.ReadData()
	if string(b) != `{"groups":{"a":["z"]}}` {
		t.Fatalf("data %s", b)
	}
	hist, err := s.History()
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || string(hist[1].After) != `{"groups":{"a":["z"]}}` || hist[0].Seq >= hist[1].Seq {
		t.Fatalf("history kept %d entries: %+v", len(hist), hist)
	}
}

// TestRunRecordRoundTrips guards what run records add to a run: one read
// and one write at start, the history read (pipelined with the start's
// reads on the hot path), and one multi-request at finish writing the
// record and the history, once the nodes exist.
func TestRunRecordRoundTrips(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	r := &Run{Lock: "job", Host: "h1", Start: time.Now()}
	if err := s.RecordStart(r); err != nil { // creates the nodes
		t.Fatal(err)
	}
	r.Result, r.Finish = ResultSuccess, time.Now()
	if err := s.RecordFinish(r, 0); err != nil {
		t.Fatal(err)
	}
	before := s.Requests()
	r2 := &Run{Lock: "job", Host: "h1", Start: time.Now()}
	h, err := s.ReadHistory("job")
	if err != nil || h == nil {
		t.Fatalf("history %v %v", h, err)
	}
	r2.Extends(h)
	if err := s.RecordStart(r2); err != nil {
		t.Fatal(err)
	}
	if r2.LastSuccess.IsZero() {
		t.Error("last success not carried over")
	}
	r2.Result, r2.Finish = "failure", time.Now()
	if err := s.RecordFinish(r2, 0); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests() - before; got != 4 {
		t.Errorf("recording made %d requests, want 4", got)
	}
	if past, err := s.RunHistory("job"); err != nil || len(past) != 2 || past[1].Result != "failure" {
		t.Fatalf("history %+v %v", past, err)
	}
	runs, err := s.Runs("")
	if err != nil || len(runs) != 1 || runs[0].Result != "failure" || runs[0].LastSuccess.IsZero() {
		t.Fatalf("runs %+v %v", runs, err)
	}
}

func TestGuardKillRequest(t *testing.T) {
	srv := zktest.Start(t)
	admin := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	s := dial(t, srv.Addr)
	held, err := lock.NewMutex(s, "/sw", "job").Acquire(context.Background(), lock.Info{Host: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan syscall.Signal, 2)
	ctx, stop := lock.Guard(context.Background(), s, lock.GuardOptions{Lock: held, KillPath: admin.KillPath("job"),
		OnKill: func(sig syscall.Signal) { got <- sig }})
	defer stop()
	// A request for an earlier holder's token is ignored.
	stale, _ := encodeJSON(lock.KillRequest{Token: held.Token - 1, Signal: 9})
	if err := admin.put(admin.KillPath("job"), stale); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-got:
		t.Fatalf("stale request delivered %v", sig)
	case <-time.After(300 * time.Millisecond):
	}
	info, token, err := admin.RequestKill("job", syscall.SIGINT, "tester")
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
	if err := admin.WaitReleased(wctx, "job", token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.RequestKill("job", syscall.SIGTERM, "tester"); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("kill of a free lock: %v", err)
	}
}

// encodeJSON is json.Marshal, for test fixtures.
func encodeJSON(v any) ([]byte, error) { return json.Marshal(v) }

// TestRecordWaitingRestore covers the waiting state's edge cases: a job
// with no record gets one and loses it again when the wait gives up; a
// record that says running (another instance on this host) is left alone;
// a record changed by someone else meanwhile is not overwritten.
func TestRecordWaitingRestore(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
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
		prev, wrote, err := s.RecordWaiting("new", "h1", "g")
		if err != nil || !wrote || prev != nil {
			t.Fatalf("prev %v wrote %v err %v", prev, wrote, err)
		}
		if r, ok := get("new"); !ok || r.State != StateWaiting || r.Start.IsZero() || r.Group != "g" {
			t.Fatalf("waiting record %+v", r)
		}
		if err := s.RestoreRecord("new", "h1", prev); err != nil {
			t.Fatal(err)
		}
		if r, ok := get("new"); ok {
			t.Fatalf("record left after the wait gave up: %+v", r)
		}
	})
	t.Run("running elsewhere on this host", func(t *testing.T) {
		if err := s.RecordStart(&Run{Lock: "busy", Host: "h1", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		_, wrote, err := s.RecordWaiting("busy", "h1", "")
		if err != nil || wrote {
			t.Fatalf("wrote %v err %v over a running record", wrote, err)
		}
		if r, _ := get("busy"); r.State != StateRunning {
			t.Fatalf("running record changed: %+v", r)
		}
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		prev, wrote, err := s.RecordWaiting("raced", "h1", "")
		if err != nil || !wrote {
			t.Fatal(wrote, err)
		}
		// Another instance on this host starts and records first.
		if err := s.RecordStart(&Run{Lock: "raced", Host: "h1", Start: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.RestoreRecord("raced", "h1", prev); err != nil {
			t.Fatal(err)
		}
		if r, ok := get("raced"); !ok || r.State != StateRunning {
			t.Fatalf("restore overwrote the newer record: %+v", r)
		}
	})
}
