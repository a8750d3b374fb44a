package main

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// fenceResult holds, per trial, the time from freezing ZooKeeper to the
// child's SIGTERM, and the session timeout it must stay below.
type fenceResult struct {
	Stopped []time.Duration
	Session time.Duration
}

// fenceSettle lets a run exchange a few heartbeats before the freeze, so
// that the last byte heard is recent, as in a steady run.
const fenceSettle = 500 * time.Millisecond

// measureFence freezes ZooKeeper (SIGSTOP) under a running job, trials
// times, and times the child's SIGTERM from the freeze. The server is
// resumed after each trial and must serve again before the next.
func measureFence(f *fixture, trials int) (fenceResult, error) {
	r := fenceResult{Session: fenceSession}
	for i := range trials {
		d, err := f.fenceOnce()
		if err != nil {
			return r, fmt.Errorf("self-fencing trial %d: %w", i, err)
		}
		r.Stopped = append(r.Stopped, d)
	}
	return r, nil
}

func (f *fixture) fenceOnce() (time.Duration, error) {
	j, err := f.startWait(f.fenceCfg, "--lockname", "fence")
	if err != nil {
		return 0, err
	}
	if _, err := j.waitReady(10 * time.Second); err != nil {
		return 0, err
	}
	time.Sleep(fenceSettle)
	frozen := time.Now()
	if err := f.srv.Pause(); err != nil {
		j.kill()
		return 0, err
	}
	// Twice the session timeout: a wrapper that never fences must not
	// hang the bench; the row then shows the miss.
	ctx, cancel := context.WithTimeout(context.Background(), 2*fenceSession)
	termed, termErr := j.waitTerm(ctx)
	cancel()
	if err := f.srv.Resume(); err != nil {
		j.kill()
		return 0, err
	}
	if termErr != nil {
		j.kill()
		return 0, termErr
	}
	if err := j.waitLost(); err != nil {
		return 0, err
	}
	if err := zktest.WaitServing(f.srv.Addr, 10*time.Second); err != nil {
		return 0, err
	}
	// The run's session may outlive its process on the server until it
	// expires; its lock node must be gone before the next trial.
	return termed.Sub(frozen), f.waitNoNode(prefix+"/locks/fence", 2*fenceSession)
}

// waitNoNode waits until path does not exist.
func (f *fixture) waitNoNode(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok, _, err := f.zk.Exists(path)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s still exists after %s", path, timeout)
}
