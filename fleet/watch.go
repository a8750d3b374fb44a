package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
	"github.com/acme/switchman/lock"
)

// Watch arms watches on what a fleet view shows: the listings of the jobs,
// locks held, halts, pauses and hosts, and the history of each job in jobs
// (a finish writes it). The returned wait blocks until one of them fires,
// or ctx is done (then it returns context.Cause). Arm before reading the
// state the view shows, then wait: a change between the read and the
// wait still fires. Watches fire once; arm again for the next change.
// Heartbeat rewrites are not watched: a viewer refreshes them on a timer.
func (s *Store) Watch(jobs []string) (wait func(context.Context) error, err error) {
	var chans []<-chan zk.Event
	for _, d := range []string{RunsDir, lock.LocksDir, HaltsDir, PausesDir, HostsDir} {
		ch, err := s.watchChildren(s.path(d))
		if err != nil {
			return nil, err
		}
		chans = append(chans, ch)
	}
	for _, j := range jobs {
		_, _, ch, err := s.conn.GetW(s.jobPath(j))
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("watch %s: %w", s.jobPath(j), znode.AuthErr(err))
		}
		if err == nil {
			chans = append(chans, ch)
		}
	}
	return func(ctx context.Context) error { return firstEvent(ctx, chans) }, nil
}

// watchChildren watches p's children, or p's creation while it is missing.
func (s *Store) watchChildren(p string) (<-chan zk.Event, error) {
	_, _, ch, err := s.conn.ChildrenW(p)
	if errors.Is(err, zk.ErrNoNode) {
		_, _, ch, err = s.conn.ExistsW(p)
	}
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", p, znode.AuthErr(err))
	}
	return ch, nil
}

// firstEvent waits for an event on any of chans, or for ctx.
func firstEvent(ctx context.Context, chans []<-chan zk.Event) error {
	fired := make(chan struct{}, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(done) // ends the waiters of the watches that did not fire
		wg.Wait()
	}()
	for _, ch := range chans {
		wg.Go(func() {
			select {
			case <-ch:
				select {
				case fired <- struct{}{}:
				default:
				}
			case <-done:
			}
		})
	}
	select {
	case <-fired:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
