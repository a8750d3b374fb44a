package fleet

import (
	"os"
	"testing"

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
