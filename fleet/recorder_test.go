package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

// recorder returns a Recorder for job on host h1 of s, keeping its
// host-local state in dir.
func recorder(s *Store, job, dir string, o RecorderOptions) *Recorder {
	o.Lock, o.Host, o.StateDir, o.Servers = job, "h1", dir, []string{"zk1:2181", "zk2:2181"}
	return NewRecorder(s, o)
}

// lastRecord reads the record of job on h1, failing the test on an error.
func lastRecord(t *testing.T, s *Store, job string) *Run {
	t.Helper()
	r, err := s.LastRecord(job, "h1")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRecorderLifecycle runs a run's record through each path a run can
// take and checks what the record says after it and what it cost in
// requests to the store (the lock's create is the session's, not counted
// here).
func TestRecorderLifecycle(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	sess := dial(t, srv.Addr)
	// The nodes every run finds: PREFIX/locks, PREFIX/halts.
	acquire(t, sess, "warm", nil).Release()
	if err := s.SetHalt("warm", Halt{}); err != nil {
		t.Fatal(err)
	}
	ok := End{PID: 42, Wall: time.Second, Result: ResultSuccess}
	for _, tt := range []struct {
		name string
		prev bool // the job has a finished record before the run
		o    RecorderOptions
		run  func(t *testing.T, r *Recorder) // the run's calls, before the check
		// want is the stored record's state and result after the run ("":
		// no record); requests the store requests the run made.
		wantState, wantResult string
		requests              int64
	}{
		{"rides the lock, then finishes", true, RecorderOptions{}, func(t *testing.T, r *Recorder) {
			r.ReadLast()
			held := acquire(t, sess, r.o.Lock, r.Rider())
			r.Start(held, 42)
			r.Finish(ok)
			held.Release()
		}, StateFinished, ResultSuccess, 2 + 1}, // last record and history; the finish's multi
		{"first run rides the lock", false, RecorderOptions{}, func(t *testing.T, r *Recorder) {
			r.ReadLast()
			held := acquire(t, sess, r.o.Lock, r.Rider())
			r.Start(held, 42)
			held.Release()
		}, StateRunning, "", 2},
		{"rode, then the command did not start", true, RecorderOptions{}, func(t *testing.T, r *Recorder) {
			r.ReadLast()
			held := acquire(t, sess, r.o.Lock, r.Rider())
			r.Undo(held)
			held.Release()
		}, StateFinished, ResultFailure, 2 + 1}, // the previous record put back
		{"no ride: the start is written apart", true, RecorderOptions{}, func(t *testing.T, r *Recorder) {
			held := acquire(t, sess, r.o.Lock, r.Rider()) // nil: ReadLast did not run
			r.Undo(held)                                  // nothing rode: nothing to undo
			r.Start(held, 42)
			r.Finish(End{PID: 42, ExitCode: 3, Result: ResultFailure, Output: "boom"})
			held.Release()
		}, StateFinished, ResultFailure, 2 + 2}, // read and write at start; history read and multi
		{"waits twice, then gives up", true, RecorderOptions{}, func(t *testing.T, r *Recorder) {
			r.Waiting()
			if got := lastRecord(t, r.s, r.o.Lock); got.State != StateWaiting || got.Result != ResultFailure {
				t.Errorf("waiting record %+v: want waiting with the last run's result", got)
			}
			r.Waiting() // the lock's wait after the leases' writes nothing
			r.Restore()
		}, StateFinished, ResultFailure, 2 + 1 + 2}, // read and write; the test's read; read and write
		{"no record (--no-lock)", true, RecorderOptions{NoRecord: true}, func(t *testing.T, r *Recorder) {
			r.ReadLast()
			r.Waiting()
			r.Start(nil, 42)
			if rec := r.Finish(ok); rec.PID != 42 || rec.Result != ResultSuccess || rec.Finish.IsZero() {
				t.Errorf("finish record %+v", rec)
			}
		}, StateFinished, ResultFailure, 0},
		{"halts on failure", true, RecorderOptions{HaltOnFailure: true}, func(t *testing.T, r *Recorder) {
			r.Start(nil, 42)
			r.Finish(End{PID: 42, ExitCode: 1, Result: ResultFailure})
		}, StateFinished, ResultFailure, 2 + 2 + 1}, // and the halt marker
	} {
		t.Run(tt.name, func(t *testing.T) {
			job := strings.ReplaceAll(tt.name, " ", "-")
			job = strings.NewReplacer(",", "", ":", "", "(", "", ")", "").Replace(job)
			if tt.prev {
				prev := &Run{Lock: job, Host: "h1", Start: time.Now().Add(-time.Hour)}
				if err := s.RecordStart(prev); err != nil {
					t.Fatal(err)
				}
				prev.Result, prev.Finish = ResultFailure, time.Now().Add(-time.Minute)
				if err := s.RecordFinish(prev, 0); err != nil {
					t.Fatal(err)
				}
			}
			r := recorder(s, job, t.TempDir(), tt.o)
			before := s.Requests()
			tt.run(t, r)
			requests := s.Requests() - before
			got := lastRecord(t, s, job)
			switch {
			case tt.wantState == "" && got != nil:
				t.Errorf("record %+v, want none", got)
			case tt.wantState != "" && (got == nil || got.State != tt.wantState || got.Result != tt.wantResult):
				t.Errorf("record %+v, want state %q result %q", got, tt.wantState, tt.wantResult)
			}
			if requests != tt.requests {
				t.Errorf("%d requests, want %d", requests, tt.requests)
			}
			halt, err := s.Halted(job)
			if err != nil || (halt != nil) != tt.o.HaltOnFailure {
				t.Errorf("halt marker %+v, %v; want one: %v", halt, err, tt.o.HaltOnFailure)
			}
		})
	}
}

// acquire takes lock name on sess, with rider when not nil.
func acquire(t *testing.T, sess *lock.Session, name string, rider *StartRecord) *lock.Held {
	t.Helper()
	var rd lock.Rider // nil, not a nil *StartRecord: no rider at all
	if rider != nil {
		rd = rider
	}
	held, err := lock.NewMutex(sess, "/sw", name).AcquireWith(context.Background(), lock.Info{Host: "h1"}, rd)
	if err != nil {
		t.Fatalf("acquire %s: %v", name, err)
	}
	return held
}

// TestRecorderFinishKeepsFailureOutput: the history keeps the output of a
// run that failed, never of one that succeeded.
func TestRecorderFinishKeepsFailureOutput(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	for _, result := range []string{ResultSuccess, ResultFailure, ResultTimeout} {
		r := recorder(s, "out", t.TempDir(), RecorderOptions{})
		r.Start(nil, 1)
		r.Finish(End{PID: 1, Result: result, Output: "last words", OutputCut: true})
	}
	past, err := s.RunHistory("out")
	if err != nil || len(past) != 3 {
		t.Fatalf("history %+v, %v", past, err)
	}
	for _, p := range past {
		if kept := p.Output != "" || p.OutputCut; kept != (p.Result != ResultSuccess) {
			t.Errorf("%s run: output %q cut %v", p.Result, p.Output, p.OutputCut)
		}
	}
}

// TestStateFilesStay pins where a host's local state lives: a change
// would orphan the spools and stamps of every installed host. The key is
// FNV-1a of "[zk1:2181 zk2:2181]\x00/switchman\x00h1.example.com".
func TestStateFilesStay(t *testing.T) {
	t.Parallel()
	r := NewRecorder(&Store{prefix: "/switchman"}, RecorderOptions{Host: "h1.example.com",
		StateDir: "/c/switchman", Servers: []string{"zk1:2181", "zk2:2181"}})
	for _, tt := range []struct{ kind, want string }{
		{"spool", "/c/switchman/spool-7b95720adf668071"},
		{"heartbeat", "/c/switchman/heartbeat-7b95720adf668071"},
	} {
		if got := r.stateFile(tt.kind); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.kind, got, tt.want)
		}
	}
	r.o.StateDir = ""
	if got := r.stateFile("spool"); got != "" {
		t.Errorf("no state directory: %q, want none", got)
	}
}

// TestHeartbeatDue: a heartbeat is due without a stamp, with one at least
// heartbeatEvery old, or one dated in the future (a clock set back); never
// without a state directory.
func TestHeartbeatDue(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tt := range []struct {
		name  string
		dir   bool
		stamp time.Time // zero: none
		want  bool
	}{
		{"no state directory", false, time.Time{}, false},
		{"no stamp yet", true, time.Time{}, true},
		{"fresh", true, now.Add(-time.Minute), false},
		{"old", true, now.Add(-heartbeatEvery), true},
		{"future", true, now.Add(time.Hour), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := ""
			if tt.dir {
				dir = filepath.Join(t.TempDir(), "switchman") // made on first use
			}
			r := NewRecorder(&Store{prefix: "/sw"}, RecorderOptions{Host: "h1", StateDir: dir})
			if !tt.stamp.IsZero() {
				p := r.stateFile("heartbeat")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(p, tt.stamp, tt.stamp); err != nil {
					t.Fatal(err)
				}
			}
			stamp, due := r.heartbeatStamp(now)
			if due != tt.want || (stamp == "") != !tt.dir {
				t.Fatalf("stamp %q due %v, want due %v", stamp, due, tt.want)
			}
			if st, err := os.Stat(dir); tt.dir && (err != nil || !st.IsDir()) {
				t.Errorf("state directory not made: %v", err)
			}
		})
	}
}

// TestHeartbeat: a due heartbeat is one write (once its nodes exist) and
// leaves a stamp; a run within heartbeatEvery of it sends nothing.
func TestHeartbeat(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	r := recorder(s, "job", t.TempDir(), RecorderOptions{Version: "v9"})
	r.Heartbeat() // creates the nodes
	old := time.Now().Add(-heartbeatEvery)
	if err := os.Chtimes(r.stateFile("heartbeat"), old, old); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1, 0} {
		before := s.Requests()
		r.Heartbeat()
		if got := s.Requests() - before; got != want {
			t.Errorf("heartbeat %d: %d requests, want %d", i, got, want)
		}
	}
	beats, err := s.Heartbeats()
	if err != nil || time.Since(beats["h1"]) > time.Minute {
		t.Fatalf("heartbeats %v, %v", beats, err)
	}
}

// TestSpool: a finish record that ZooKeeper cannot take goes to the
// host's spool, and the next run that reaches ZooKeeper delivers it
// (with its halt marker), unless a later run replaced the record, the
// record is too old, or the file is damaged; one that cannot be written
// yet stays.
func TestSpool(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	for _, tt := range []struct {
		name string
		// change acts between the spooling and the next run.
		change    func(t *testing.T, job, file string)
		flushDown bool   // the next run's store is down too
		wantState string // the record after the next run
		wantFile  bool   // the spool file is still there
	}{
		{"delivered", nil, false, StateFinished, false},
		{"still unreachable", nil, true, StateRunning, true},
		{"replaced by a later run", func(t *testing.T, job, _ string) {
			r := recorder(s, job, t.TempDir(), RecorderOptions{})
			r.Start(nil, 7)
		}, false, StateRunning, false},
		{"too old", func(t *testing.T, _, file string) {
			rewrite(t, file, func(sp *spooled) { sp.Run.Finish = time.Now().Add(-spoolMaxAge - time.Hour) })
		}, false, StateRunning, false},
		{"damaged", func(t *testing.T, _, file string) {
			if err := os.WriteFile(file, []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false, StateRunning, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			job, dir := strings.ReplaceAll(tt.name, " ", "-"), t.TempDir()
			down := store(t, srv.Addr, "/sw", "")
			r := recorder(down, job, dir, RecorderOptions{HaltOnFailure: true})
			r.Start(nil, 42)
			down.conn.Close() // ZooKeeper unreachable at finish
			r.Finish(End{PID: 42, ExitCode: 1, Result: ResultFailure})
			files, _ := filepath.Glob(filepath.Join(r.stateFile("spool"), job+"@h1-*.json"))
			if len(files) != 1 {
				t.Fatalf("spool %v, want one file", files)
			}
			var sp spooled
			if b, err := os.ReadFile(files[0]); err != nil || json.Unmarshal(b, &sp) != nil ||
				!sp.Halt || sp.Run.Result != ResultFailure || sp.Run.PID != 42 {
				t.Fatalf("spooled %s: %+v, %v", files[0], sp, err)
			}
			if tt.change != nil {
				tt.change(t, job, files[0])
			}
			next := s
			if tt.flushDown {
				next = store(t, srv.Addr, "/sw", "")
				next.conn.Close()
			}
			recorder(next, "other", dir, RecorderOptions{}).Flush()
			if got := lastRecord(t, s, job); got.State != tt.wantState {
				t.Errorf("record %+v, want state %s", got, tt.wantState)
			}
			halt, _ := s.Halted(job)
			if (halt != nil) != (tt.wantState == StateFinished) {
				t.Errorf("halt marker %+v", halt)
			}
			if _, err := os.Stat(files[0]); (err == nil) != tt.wantFile {
				t.Errorf("spool file kept: %v, want %v", err == nil, tt.wantFile)
			}
		})
	}
}

// rewrite changes the spooled record in file.
func rewrite(t *testing.T, file string, change func(*spooled)) {
	t.Helper()
	var sp spooled
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &sp)
	}
	if err != nil {
		t.Fatal(err)
	}
	change(&sp)
	if b, err = json.Marshal(sp); err == nil {
		err = os.WriteFile(file, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecorderFinishCgroupUsage: a run with a cgroup records the tree's
// CPU time and peak memory, in the record and the history; a run without
// one writes neither key, so its record reads as before.
func TestRecorderFinishCgroupUsage(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	tests := []struct {
		name    string
		end     End
		cpu, kb int64
	}{
		{"with a cgroup", End{PID: 1, Result: ResultSuccess, CPU: 1500 * time.Millisecond, MemoryPeak: 8 << 20}, 1500, 8192},
		{"without", End{PID: 1, Result: ResultSuccess}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := strings.ReplaceAll(tt.name, " ", "-")
			r := recorder(s, job, t.TempDir(), RecorderOptions{})
			r.Start(nil, 1)
			r.Finish(tt.end)
			rec := lastRecord(t, s, job)
			past, err := s.RunHistory(job)
			if err != nil || len(past) != 1 {
				t.Fatalf("history %+v, %v", past, err)
			}
			if rec.CPUMS != tt.cpu || rec.MemoryPeakKB != tt.kb || past[0].CPUMS != tt.cpu || past[0].MemoryPeakKB != tt.kb {
				t.Errorf("record %+v, history %+v; want cpu_ms %d, memory_peak_kb %d", rec.Outcome, past[0].Outcome, tt.cpu, tt.kb)
			}
			b, _, err := s.get(s.runPath(job, "h1"))
			if err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(string(b), `"cpu_ms"`) || strings.Contains(string(b), `"memory_peak_kb"`); has != (tt.cpu != 0) {
				t.Errorf("record %s: cgroup keys present %v, want %v", b, has, tt.cpu != 0)
			}
		})
	}
}

// TestFinishPrior checks that each finish sees the runs written before it
// in the job's history, with or without the history read at start, and
// that a run keeping no record sees none.
func TestFinishPrior(t *testing.T) {
	srv := zktest.Start(t)
	s := store(t, srv.Addr, "/sw", `{"groups":{}}`)
	var want []string
	// The event rule fires "e<N>" where N is the number of runs before.
	rule := func(prior []PastRun, _ []Notice, result string) string {
		return fmt.Sprintf("e%d-%s", len(prior), result)
	}
	for i, result := range []string{ResultFailure, ResultSuccess, ResultTimeout} {
		r := recorder(s, "prior", t.TempDir(), RecorderOptions{Event: rule})
		if i == 1 {
			r.ReadLast() // the history read before the start: the finish's one multi extends it
		}
		r.Start(nil, 1)
		rec := r.Finish(End{PID: 1, Result: result})
		prior, ok := rec.Prior()
		var got []string
		for _, p := range prior {
			got = append(got, p.Result)
		}
		if !ok || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("finish %d: Prior() = %v, %v; want %v, true", i, got, ok, want)
		}
		if wantEv := fmt.Sprintf("e%d-%s", i, result); rec.Event != wantEv {
			t.Errorf("finish %d: Event = %q, want %q", i, rec.Event, wantEv)
		}
		want = append(want, result)
	}
	past, err := s.RunHistory("prior")
	if err != nil || len(past) != 3 || past[2].Event != "e2-"+ResultTimeout {
		t.Errorf("history %+v, %v: want the last run's event claimed in it", past, err)
	}
	r := recorder(s, "prior", t.TempDir(), RecorderOptions{NoRecord: true})
	if _, ok := r.Finish(End{Result: ResultFailure}).Prior(); ok {
		t.Error("a run without a record has a prior history")
	}
}
