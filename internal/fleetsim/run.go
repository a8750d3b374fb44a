package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/lock"
)

// kind is how a run was decided.
type kind string

// The kinds of run. A failed run is one that job.Run ended with an error
// before any decision; kindOtherSkip is a skip for a reason the fleet
// does not set up (a pause, say), which would be a bug here.
const (
	kindWin        kind = "winning"
	kindBusy       kind = "busy"
	kindNotInGroup kind = "not in group"
	kindOtherSkip  kind = "other skip"
	kindFailed     kind = "failed"
)

// Log messages that mark a run's decision: the START line once the child
// has started, and the info lines of a skip. They are the wrapper's own
// log lines, which its tests keep stable, so the simulator observes the
// decision without a hook in the run's code.
const (
	msgStart      = "START"
	msgBusy       = "lock busy; not running"
	msgNotInGroup = "host not in group; not running"
	skipSuffix    = "; not running"
)

// kindOf says which decision a log message marks, if any.
func kindOf(msg string) (kind, bool) {
	switch {
	case msg == msgStart:
		return kindWin, true
	case msg == msgBusy:
		return kindBusy, true
	case msg == msgNotInGroup:
		return kindNotInGroup, true
	case strings.HasSuffix(msg, skipSuffix):
		return kindOtherSkip, true
	}
	return "", false
}

// msgAttempt is the session's debug line of each connection it tries
// (lock.Session's dial), which a traced run counts; msgSplay, the run's
// debug line as it starts to wait its splay offset.
const (
	msgAttempt = "connecting to zookeeper"
	msgSplay   = "waiting the splay offset before connecting"
)

// decision is a zerolog hook that keeps the first decision a run logs and
// when it was logged, and when the logger passes debug lines, when each
// connection attempt was made.
type decision struct {
	mu       sync.Mutex
	kind     kind
	at       time.Time
	attempts []time.Time
	splayAt  time.Time
}

// Run implements zerolog.Hook.
func (d *decision) Run(_ *zerolog.Event, _ zerolog.Level, msg string) {
	now := time.Now()
	switch msg {
	case msgAttempt:
		d.mu.Lock()
		d.attempts = append(d.attempts, now)
		d.mu.Unlock()
		return
	case msgSplay:
		d.mu.Lock()
		d.splayAt = now
		d.mu.Unlock()
		return
	}
	k, ok := kindOf(msg)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kind == "" {
		d.kind, d.at = k, now
	}
}

// outcome is what one simulated run did.
type outcome struct {
	Kind kind
	// Latency is from the tick, plus the run's splay offset, to the
	// decision (undecided runs: to the return of job.Run).
	Latency time.Duration
	// Offset is the run's splay offset (job.SplayOffset); Waited, when
	// the run began to wait it, from the tick. The latency of a splayed
	// run counts from the end of that wait: before it, the run parsed its
	// line and config, which here every run of the tick does at once on
	// the simulator's CPUs, and which on a fleet each host does for its
	// own jobs only.
	Offset time.Duration `json:",omitempty"`
	Waited time.Duration `json:",omitempty"`
	// Attempts are the connections a traced run tried, each as the time
	// since the tick.
	Attempts []time.Duration `json:",omitempty"`
	// Status is the exit status the binary would give the run's error
	// ("0" for none); Err the error's text.
	Status string
	Err    string
}

// tickOptions are how a tick's runs are fired.
type tickOptions struct {
	// Splay is each wrapper line's --splay (0: none).
	Splay time.Duration
	// Trace records each run's connection attempts (Outcome.Attempts),
	// at the price of a logger that passes debug lines to the hook.
	Trace bool
}

// runArgs is the wrapper line of host h running job j.
func runArgs(cfgPath, host, jobName, child string, splay time.Duration) []string {
	args := []string{"-c", cfgPath, "--hostname", host, "-g", jobName, "--lockname", jobName}
	if splay > 0 {
		args = append(args, "--splay", splay.String())
	}
	return append(args, "--", child)
}

// runOne runs one wrapper line in this process the way the binary's
// wrapper command does (cmdline.Parse, config.Find and Load, job.Run),
// with a logger that keeps its decision and discards its lines. Its
// latency counts from the tick, or with a splay offset, from the end of
// the run's wait (see outcome.Offset).
func runOne(ctx context.Context, tick time.Time, offset time.Duration, args []string, trace bool) outcome {
	d := &decision{}
	level := zerolog.InfoLevel
	if trace || offset > 0 {
		level = zerolog.DebugLevel // the hook sees msgAttempt and msgSplay
	}
	log := zerolog.New(io.Discard).Level(level).Hook(d)
	err := runLine(ctx, args, log)
	end := time.Now()
	o := outcome{Status: statusOf(err), Offset: offset}
	if err != nil {
		o.Err = err.Error()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	from := tick.Add(offset)
	if !d.splayAt.IsZero() {
		o.Waited = d.splayAt.Sub(tick)
		from = d.splayAt.Add(offset)
	}
	switch {
	case d.kind == "":
		o.Kind, o.Latency = kindFailed, end.Sub(from)
	default:
		o.Kind, o.Latency = d.kind, d.at.Sub(from)
	}
	for _, a := range d.attempts {
		o.Attempts = append(o.Attempts, a.Sub(tick))
	}
	return o
}

// runLine is the binary's wrapper command after its logger is built.
func runLine(ctx context.Context, args []string, log zerolog.Logger) error {
	o, err := cmdline.Parse(args, false)
	if err != nil {
		return err
	}
	path, err := config.Find(o.Config, os.Getenv)
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	return job.Run(ctx, job.Env{Stderr: io.Discard, Getenv: os.Getenv, Version: "fleetsim"}, cfg, log, o)
}

// statusOf names the exit status the binary gives err, for the errors a
// run against a live ensemble and a valid config meets. cmd/switchman's
// exitCode decides every status; this covers its rows for a run and
// names anything else by its text, so that nothing is hidden.
func statusOf(err error) string {
	var ee *exitcode.Error
	switch {
	case err == nil:
		return "0"
	case errors.As(err, &ee):
		return strconv.Itoa(ee.Code)
	case errors.Is(err, lock.ErrUnreachable), errors.Is(err, lock.ErrNoPrefix):
		return strconv.Itoa(exitcode.Unavailable)
	case lock.IsLost(err):
		return strconv.Itoa(exitcode.Lost)
	}
	return fmt.Sprintf("other (%s)", firstWords(err.Error(), 8))
}

// firstWords returns at most n words of s.
func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		w = append(w[:n], "…")
	}
	return strings.Join(w, " ")
}

// fire runs every host's line of every job at one instant, the tick (each
// run then waits its own splay offset, if any, as the binary does), and
// returns every outcome and the time from the tick to the end of the last
// run. The runs are goroutines that wait at a barrier;
// the tick is when it opens. Each run has its own session and identity.
func fire(ctx context.Context, s spec, cfgPath, child string, to tickOptions) ([]outcome, time.Duration) {
	out := make([]outcome, s.Runs())
	gate := make(chan struct{})
	var tick time.Time
	var wg sync.WaitGroup
	for h := range s.Hosts {
		for j := range s.Jobs {
			args := runArgs(cfgPath, hostName(h), jobName(j), child, to.Splay)
			off := job.SplayOffset(jobName(j), hostName(h), to.Splay)
			wg.Go(func() {
				<-gate
				out[h*s.Jobs+j] = runOne(ctx, tick, off, args, to.Trace)
			})
		}
	}
	time.Sleep(100 * time.Millisecond) // every goroutine parked at the gate
	tick = time.Now()
	close(gate)
	wg.Wait()
	return out, time.Since(tick)
}
