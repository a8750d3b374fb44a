package fleet

import (
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/lock"
)

// RecorderOptions binds a Recorder to one run of a job on this host.
type RecorderOptions struct {
	// Lock, Host and Group name the job, this host's identity and the
	// run's --group ("" for none).
	Lock, Host, Group string
	// Expected is the run's --expected-duration as records show it ("":
	// none).
	Expected string
	// Slot is the slot the run claims (--schedule); zero: none.
	Slot time.Time
	// CaughtUp says that a catch-up runs the slot after it was missed.
	CaughtUp bool
	// HistoryRuns is how many runs the job's history keeps (0:
	// DefaultHistoryRuns).
	HistoryRuns int
	// HaltOnFailure sets the job's halt marker when the run ends in
	// anything but ResultSuccess.
	HaltOnFailure bool
	// NoRecord is a run that keeps no run record (--no-lock): it still
	// flushes the spool and writes heartbeats.
	NoRecord bool
	// StateDir is this user's host-local state directory (config.CacheDir),
	// where the spool and the heartbeat stamp live; "": none, so no spool
	// and no heartbeat.
	StateDir string
	// Servers are the ZooKeeper servers: with the prefix and the host,
	// they key the host-local state, so that runs against another ensemble
	// or prefix keep their own.
	Servers []string
	// Version is switchman's version, for the heartbeat.
	Version string
	// Notify is the run's --notify, kept in its records ("": none).
	Notify string
	// Retry is the run's --retry: when set, each record carries its
	// attempt number (Outcome.Attempt).
	Retry int
	// Splay is the --splay offset the run waited before it connected; the
	// run record keeps it (Run.SplayMS).
	Splay time.Duration
	// Event, when set, picks the notification event the run fires from
	// the job's finished runs before it, the notices claimed before it
	// (reminders: see Notice) and its result (""; none). It is
	// called when the finish writes the history, with the runs that write
	// follows, and the event is written with the run (PastRun.Event), so
	// that each event is claimed by one finish only.
	Event func(prior []PastRun, notices []Notice, result string) string
	// Logger receives what the recorder could not write (it never fails
	// the run) and the spool's deliveries; the zero Logger discards them.
	Logger zerolog.Logger
}

// Recorder keeps the run record of one run of a job on this host through
// its life: the previous record read before the lock, the waiting record,
// the start record riding the lock's create or written after the start,
// its undoing for a command that never started, and the finish record
// with the job's history and the halt marker, spooled on this host when
// ZooKeeper cannot take it in time. It writes the host's heartbeat too.
//
// A Recorder is used by one goroutine at a time, except ReadLast and
// Heartbeat, which may run alongside each other. Its writes never fail
// the run: a failure is logged, and the run goes on.
type Recorder struct {
	s   *Store
	o   RecorderOptions
	log zerolog.Logger

	last     *Run  // the record before this run, read by ReadLast
	lastErr  error // ReadLast's error
	lastRead bool  // ReadLast ran
	hist     *History

	waited   bool // Waiting wrote a waiting record, replacing replaced
	replaced *Run

	riding *Run // the start record offered to the lock's create (Rider)
	run    *Run // this run's record since its start

	attempt int // the attempt of the command under --retry (see Retry); 0 before the first

	late []LateEvent // found by Flush
}

// NewRecorder returns the recorder of one run on store s; a nil s is a run
// that asks ZooKeeper nothing, whose Finish only builds the record.
func NewRecorder(s *Store, o RecorderOptions) *Recorder {
	return &Recorder{s: s, o: o, log: o.Logger}
}

// records says whether the run keeps a run record in ZooKeeper.
func (r *Recorder) records() bool { return r.s != nil && !r.o.NoRecord }

// ReadLast reads the job's last run record on this host and its history,
// for a run that takes the lock at once (see Rider); the two reads go out
// together, so that a caller that runs ReadLast alongside its other reads
// pays no round trip of its own.
func (r *Recorder) ReadLast() {
	if !r.records() {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { r.last, r.lastErr = r.s.LastRecord(r.o.Lock, r.o.Host) })
	// An error leaves hist nil: the finish then reads it itself.
	wg.Go(func() { r.hist, _ = r.s.ReadHistory(r.o.Lock) })
	wg.Wait()
	r.lastRead = true
}

// Waiting marks the run record waiting when the run first has to wait in
// a queue (leases, then --wait: the second call finds it done); a run that
// gets everything at once never writes it.
func (r *Recorder) Waiting() {
	if !r.records() || r.waited {
		return
	}
	prev, wrote, err := r.s.RecordWaiting(r.o.Lock, r.o.Host, r.o.Group)
	if err != nil {
		r.log.Warn().Err(err).Msg("could not record that the run waits")
		return
	}
	r.waited, r.replaced = wrote, prev
}

// Restore undoes Waiting after a wait that ended without a run (timeout,
// signal, lock taken meanwhile): the record says again what the last run
// did.
func (r *Recorder) Restore() {
	if !r.waited {
		return
	}
	if err := r.s.RestoreRecord(r.o.Lock, r.o.Host, r.replaced); err != nil {
		r.log.Info().Err(err).Msg("could not restore the run record after the wait")
		r.spoolRestore(r.replaced)
	}
}

// Rider returns the start record to send with the lock's create (see
// StartRecord), or nil when it cannot: ReadLast did not run or failed.
func (r *Recorder) Rider() *StartRecord {
	if !r.lastRead || r.lastErr != nil {
		return nil
	}
	rec := r.newRecord()
	sr, err := r.s.StartRider(rec, r.last)
	if err != nil {
		return nil
	}
	r.riding = rec
	return sr
}

// rode returns the start record that committed with held, or nil.
func (r *Recorder) rode(held *lock.Held) *Run {
	if held == nil || !held.Rode {
		return nil
	}
	return r.riding
}

// Undo puts the last run record back after a start record that rode
// held's create (nothing to do otherwise), for a command that then did not
// start (a stop signal meanwhile, a failed exec).
func (r *Recorder) Undo(held *lock.Held) {
	rec := r.rode(held)
	if rec == nil {
		return
	}
	if err := r.s.UndoStart(rec, r.last); err != nil {
		r.log.Warn().Err(err).Msg("could not put the run record back")
	}
}

// Start records the start of the command, pid, under held (nil: no
// lock). A record that rode the lock's create is not written again: the
// pid and the fencing token, which it could not know, reach it at finish.
func (r *Recorder) Start(held *lock.Held, pid int) {
	if !r.records() {
		return
	}
	rec := r.rode(held)
	rode := rec != nil
	if !rode {
		rec = r.newRecord()
	}
	rec.Extends(r.hist)
	rec.PID = pid
	if held != nil {
		rec.Token = held.Token
	}
	r.run = rec
	if rode {
		return
	}
	if err := r.s.RecordStart(rec); err != nil {
		r.log.Warn().Err(err).Msg("could not record the run's start; the job runs anyway")
	}
}

// newRecord is the run record of this run as it starts.
func (r *Recorder) newRecord() *Run {
	rec := &Run{Lock: r.o.Lock, Host: r.o.Host, Group: r.o.Group, Start: time.Now().UTC(), Expected: r.o.Expected,
		Slot: r.o.Slot, CaughtUp: r.o.CaughtUp, SplayMS: r.o.Splay.Milliseconds(), Notify: r.o.Notify}
	if r.o.Retry > 0 {
		rec.Attempt = max(r.attempt, 1)
	}
	return rec
}

// Retry readies the recorder for another attempt of the command after
// the finish of the last one (--retry): the next Start writes a record of
// its own, with the next attempt number, and its finish extends the
// history as it is then (the last attempt's finish changed it).
func (r *Recorder) Retry() {
	r.attempt = max(r.attempt, 1) + 1
	r.run, r.riding, r.hist = nil, nil, nil
}

// End is how a run ended, for Finish.
type End struct {
	PID      int
	Wall     time.Duration
	ExitCode int
	Result   string // ResultSuccess, ResultFailure, ...
	MaxRSSKB int64
	// CPU and MemoryPeak are the CPU time and the peak memory in bytes of
	// the command's whole tree, from its cgroup; zero without one.
	CPU        time.Duration
	MemoryPeak int64
	// Output and OutputCut are the tail of the command's output: the
	// job's history keeps them for a run that did not succeed.
	Output    string
	OutputCut bool
	// Retried says that another attempt follows this failed one
	// (--retry): its finish fires no event and sets no halt marker.
	Retried bool
}

// Finish completes the run record with e and returns it. A run that keeps
// a record writes it, with the job's history and, with HaltOnFailure, the
// halt marker, waiting at most finishWait; what ZooKeeper cannot take by
// then goes to the spool, for a later run on this host to deliver (Flush).
func (r *Recorder) Finish(e End) *Run {
	rec := r.run
	if rec == nil {
		rec = &Run{Lock: r.o.Lock, Host: r.o.Host, Group: r.o.Group, PID: e.PID, Start: time.Now().Add(-e.Wall).UTC(), Slot: r.o.Slot,
			CaughtUp: r.o.CaughtUp, Notify: r.o.Notify}
		if r.o.Retry > 0 {
			rec.Attempt = max(r.attempt, 1)
		}
	}
	rec.Finish = time.Now().UTC()
	rec.ExitCode, rec.Result = e.ExitCode, e.Result
	rec.DurationMS, rec.MaxRSSKB = e.Wall.Milliseconds(), e.MaxRSSKB
	rec.CPUMS, rec.MemoryPeakKB = e.CPU.Milliseconds(), e.MemoryPeak/1024
	rec.Retried = e.Retried
	if !r.records() {
		return rec
	}
	if e.Result != ResultSuccess {
		rec.Output, rec.OutputCut = e.Output, e.OutputCut
	}
	halt := r.o.HaltOnFailure && e.Result != ResultSuccess && !e.Retried
	if r.o.Event != nil && !e.Retried {
		rec.decide = func(prior []PastRun, notices []Notice) string { return r.o.Event(prior, notices, e.Result) }
	}
	if !r.writeFinish(rec, halt) {
		r.spool(rec, halt)
	}
	return rec
}

// finishWait bounds how long the run's last writes (the finish record and
// the halt marker) may wait for ZooKeeper once the command is gone. Past
// it (a self-fence in a partition) they go to the spool and switchman
// exits: the command is dead, and a wrapper that lingers until ZooKeeper
// answers again only hides the outcome.
const finishWait = time.Second

// writeFinish writes the finish record, and the halt marker when halt is
// set, waiting at most finishWait; it reports whether both were written.
//
// It waits even without a connection: one that comes back within
// finishWait (a server restart) lets the record be written and the session
// be closed, which releases the lock at once instead of after S.
func (r *Recorder) writeFinish(rec *Run, halt bool) bool {
	c := *rec // RecordFinish fills in its copy
	done := make(chan error, 1)
	go func() {
		err := r.s.RecordFinish(&c, r.o.HistoryRuns)
		if err == nil && halt {
			err = r.s.SetHalt(c.Lock, Halt{Host: c.Host, When: c.Finish, Result: c.Result})
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			r.log.Warn().Err(err).Msg("could not record the run's finish; spooling it")
		}
		rec.prior, rec.priorOK, rec.Event = c.prior, c.priorOK, c.Event
		return err == nil
	case <-time.After(finishWait):
		return false
	}
}
