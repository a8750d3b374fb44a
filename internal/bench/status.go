package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// statusResult holds the wall times of `switchman status` over a fleet's
// worth of jobs, and what it listed.
type statusResult struct {
	Times         []time.Duration
	Jobs, Running int
	// Listed is how many output lines name one of the jobs: one per run
	// record plus one per held lock.
	Listed        int
	PacketsPerRun float64
}

// statusRuns is how many times status is timed, after one warm-up run.
const statusRuns = 10

// measureStatus records a last run for each of jobs jobs, holds the lock of
// running of them (through the lock package, as the wrapper would), and
// times `switchman status`.
func measureStatus(f *fixture, jobs, running int) (statusResult, error) {
	r := statusResult{Jobs: jobs, Running: running}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sess, err := lock.Dial(ctx, lock.Options{Servers: []string{f.srv.Addr}, SessionTimeout: adminSession, ConnectTimeout: 10 * time.Second})
	if err != nil {
		return r, err
	}
	// Closing the session releases the locks it holds: after the timing.
	defer sess.Close()
	if err := fillFleet(ctx, sess, jobs, running); err != nil {
		return r, err
	}
	p0, err := f.packetsReceived()
	if err != nil {
		return r, err
	}
	for i := range statusRuns + 1 {
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, f.bin, "status", "-c", f.cfg)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			return r, fmt.Errorf("switchman status: %w: %.300s", err, errOut.String())
		}
		r.Listed = strings.Count(out.String(), "\nbenchjob-")
		if i > 0 {
			r.Times = append(r.Times, d)
		}
	}
	p1, err := f.packetsReceived()
	if err != nil {
		return r, err
	}
	r.PacketsPerRun = float64(p1-p0) / float64(statusRuns+1)
	return r, nil
}

// fillFleet writes the jobs' run records and takes the running jobs'
// locks, from a few goroutines at once (the client pipelines requests).
func fillFleet(ctx context.Context, sess *lock.Session, jobs, running int) error {
	const workers = 8
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < jobs; i += workers {
				if err := addJob(ctx, sess, i, i < running); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when the channel is empty
}

// addJob records one job's last run: running (with its lock held), or
// finished successfully a while ago.
func addJob(ctx context.Context, sess *lock.Session, i int, isRunning bool) error {
	name := fmt.Sprintf("benchjob-%04d", i)
	host := fmt.Sprintf("worker%02d.example", i%50)
	start := time.Now().Add(-time.Duration(i%600) * time.Second).UTC()
	run := &fleet.Run{Lock: name, Host: host, Group: "workers", PID: 10000 + i, Start: start}
	if err := fleet.New(sess, prefix).RecordStart(run); err != nil {
		return err
	}
	if isRunning {
		_, err := lock.NewMutex(sess, prefix, name).Acquire(ctx, lock.Info{Host: host, PID: run.PID, Start: start,
			Command: []string{"/usr/lib/bench/" + name, "--daily"}, Group: "workers"})
		return err
	}
	run.Finish, run.Result, run.DurationMS, run.MaxRSSKB = start.Add(2*time.Second), fleet.ResultSuccess, 2000, 4096
	return fleet.New(sess, prefix).RecordFinish(run, 0)
}
