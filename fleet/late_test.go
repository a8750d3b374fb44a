package fleet

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// TestLateEvent: a finish whose write committed after the run had
// spooled its record (finishWait passed) claimed an event the run never
// sent; the next run on the host finds it when it flushes the spool, and
// only that run: the spool file is gone after it.
func TestLateEvent(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	dir := t.TempDir()
	rule := func([]PastRun, []Notice, string) string { return "failed" }
	r := recorder(s, "late", dir, RecorderOptions{Event: rule, Notify: "oncall"})
	r.Start(nil, 1)
	rec := r.Finish(End{PID: 1, Result: ResultFailure, ExitCode: 3})
	if rec.Event != "failed" {
		t.Fatalf("finish claimed %q", rec.Event)
	}
	// The run gave up waiting: its record went to the spool too.
	r.spool(rec, false)
	next := recorder(s, "other", dir, RecorderOptions{})
	next.Flush()
	late := next.LateEvents()
	if len(late) != 1 || late[0].Lock != "late" || late[0].Event != "failed" || late[0].ExitCode != 3 || late[0].Notify != "oncall" || !late[0].Start.Equal(rec.Start) {
		t.Fatalf("late events %+v, want the failed event of the spooled run", late)
	}
	if entries, _ := os.ReadDir(next.stateFile("spool")); len(entries) != 0 {
		t.Errorf("spool still holds %d files", len(entries))
	}
	again := recorder(s, "other", dir, RecorderOptions{})
	again.Flush()
	if late := again.LateEvents(); len(late) != 0 {
		t.Errorf("a second flush found %+v", late)
	}
	// A spooled record that was written without an event yields none.
	quiet := recorder(s, "quiet", dir, RecorderOptions{})
	quiet.Start(nil, 2)
	quiet.spool(quiet.Finish(End{PID: 2, Result: ResultSuccess}), false)
	last := recorder(s, "other", dir, RecorderOptions{})
	last.Flush()
	if late := last.LateEvents(); len(late) != 0 {
		t.Errorf("late events %+v of a run that fired none", late)
	}
}

// TestLateEventOnceAmongConcurrentFlushes: runs of one host start
// together and flush the same spool at once; the late event is found by
// exactly one of them. A record claimed by a run that died is taken back
// by the next flush.
func TestLateEventOnceAmongConcurrentFlushes(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	dir := t.TempDir()
	rule := func([]PastRun, []Notice, string) string { return "failed" }
	r := recorder(s, "late", dir, RecorderOptions{Event: rule})
	r.Start(nil, 1)
	r.spool(r.Finish(End{PID: 1, Result: ResultFailure, ExitCode: 3}), false)
	const n = 8
	flushers := make([]*Recorder, n)
	for i := range flushers {
		flushers[i] = recorder(s, "other", dir, RecorderOptions{})
	}
	var wg sync.WaitGroup
	for _, f := range flushers {
		wg.Go(f.Flush)
	}
	wg.Wait()
	found := 0
	for _, f := range flushers {
		found += len(f.LateEvents())
	}
	if found != 1 {
		t.Errorf("%d concurrent flushes found the late event %d times, want once", n, found)
	}

	// A run that claimed a record and died leaves it claimed; the next
	// flush takes it back and writes it, even when another process (this
	// test's) has the dead run's pid by then.
	dead := recorder(s, "dead", dir, RecorderOptions{Event: rule})
	dead.Start(nil, 2)
	dead.spool(dead.Finish(End{PID: 2, Result: ResultFailure, ExitCode: 4}), false)
	spool := dead.stateFile("spool")
	entries, err := os.ReadDir(spool)
	if err != nil || len(entries) != 1 {
		t.Fatalf("spool holds %v (%v), want one record", entries, err)
	}
	p := filepath.Join(spool, entries[0].Name())
	if err := os.Rename(p, p+flushingMark+strconv.Itoa(os.Getpid())+"-1"); err != nil {
		t.Fatal(err)
	}
	next := recorder(s, "other", dir, RecorderOptions{})
	next.Flush()
	if late := next.LateEvents(); len(late) != 1 || late[0].ExitCode != 4 {
		t.Errorf("after a dead claimer, late events %+v, want the one of exit 4", late)
	}
	if entries, _ := os.ReadDir(spool); len(entries) != 0 {
		t.Errorf("spool still holds %d files", len(entries))
	}
}

// TestSpooledRestore: a run that waited and could not undo its waiting
// record (its session gone) spools the undoing; the next run on the host
// that reaches ZooKeeper writes the previous record back, or deletes a
// record the wait created, so that no record says "waiting" for a run
// long gone.
func TestSpooledRestore(t *testing.T) {
	srv := zktest.Start(t)
	live := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	prev := &Run{Lock: "had", Host: "h1", Start: time.Now().Add(-time.Hour)}
	if err := live.RecordStart(prev); err != nil {
		t.Fatal(err)
	}
	prev.Result, prev.Finish = ResultFailure, time.Now().Add(-time.Minute)
	if err := live.RecordFinish(prev, 0); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, job := range []string{"had", "new"} {
		sess := dial(t, srv.Addr)
		r := recorder(New(sess, "/sw"), job, dir, RecorderOptions{})
		r.Waiting()
		if got := lastRecord(t, live, job); got == nil || got.State != StateWaiting {
			t.Fatalf("%s: record %+v, want waiting", job, got)
		}
		sess.Close()
		r.Restore() // fails: the session is closed
		if got := lastRecord(t, live, job); got == nil || got.State != StateWaiting {
			t.Fatalf("%s: record %+v after a failed restore, want still waiting", job, got)
		}
	}
	next := recorder(live, "other", dir, RecorderOptions{})
	next.Flush()
	if got := lastRecord(t, live, "had"); got == nil || got.State != StateFinished || got.Result != ResultFailure {
		t.Errorf("record of had %+v, want the previous finished one back", got)
	}
	if got := lastRecord(t, live, "new"); got != nil {
		t.Errorf("record of new %+v, want none (the wait created it)", got)
	}
	if entries, _ := os.ReadDir(next.stateFile("spool")); len(entries) != 0 {
		t.Errorf("spool still holds %d files", len(entries))
	}
}
