package zktest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Quiet is a go-zookeeper logger that drops the client's chatter (it logs
// every connect); t.Logf would panic when the client's goroutines log after
// a test has returned.
type Quiet struct{}

// Printf discards its arguments.
func (Quiet) Printf(string, ...any) {}

// Connect opens a quiet session to servers with the given session timeout
// and waits, at most wait, until the session is established. The caller
// closes the connection.
func Connect(servers []string, session, wait time.Duration) (*zk.Conn, error) {
	conn, events, err := zk.Connect(servers, session, zk.WithLogInfo(false), zk.WithLogger(Quiet{}))
	if err != nil {
		return nil, fmt.Errorf("zktest: connect %v: %w", servers, err)
	}
	deadline := time.After(wait)
	for conn.State() != zk.StateHasSession {
		select {
		case <-events:
		case <-deadline:
			conn.Close()
			return nil, fmt.Errorf("zktest: no session with %v within %s", servers, wait)
		}
	}
	return conn, nil
}

// PeakHolders follows the lease holder nodes in dir (named COUNT_TOTAL_N,
// the layout of PREFIX/semaphores/RESOURCE/leases) through conn and
// records the most units held at once. The returned function stops the
// watching and returns that peak, or the error that ended the watching. A
// dropped connection (a loaded machine) pauses the sampling, not the test.
func PeakHolders(conn *zk.Conn, dir string) func() (int64, error) {
	done := make(chan struct{})
	var peak int64
	var werr error
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			kids, _, ch, err := conn.ChildrenW(dir)
			if errors.Is(err, zk.ErrNoNode) {
				_, _, ch, err = conn.ExistsW(dir)
			}
			if errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrSessionExpired) {
				select {
				case <-done:
					return
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			if err != nil {
				werr = fmt.Errorf("zktest: watch %s: %w", dir, err)
				return
			}
			var sum int64
			for _, k := range kids {
				c, _ := strconv.ParseInt(strings.SplitN(k, "_", 2)[0], 10, 64)
				sum += c
			}
			peak = max(peak, sum)
			select {
			case <-ch:
			case <-done:
				return
			}
		}
	})
	return func() (int64, error) {
		close(done)
		wg.Wait()
		return peak, werr
	}
}
