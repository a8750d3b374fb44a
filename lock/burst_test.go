package lock

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// Sizes of the refused burst: burstDials sessions dialled at one instant
// against a server whose every connection slot for this address is taken
// for burstRefused, then freed.
const (
	burstDials   = 60
	burstRefused = 3 * time.Second
	burstBucket  = 100 * time.Millisecond
)

// refusedBurst dials n clients at once with dial through a proxy in front
// of a server that allows two connections per client address, both taken
// until burstRefused has passed. It returns the connections the server
// got per burstBucket and how many clients got a session.
func refusedBurst(t *testing.T, n int, dial func(addr string) (closer func(), err error)) (perBucket []int64, sessions int) {
	t.Helper()
	srv := zktest.Start(t, zktest.Options{ExtraConfig: []string{"maxClientCnxns=2"}})
	p, err := faultproxy.New([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var holders []*zk.Conn
	for range 2 {
		c, err := zktest.Connect([]string{srv.Addr}, 10*time.Second, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		holders = append(holders, c)
	}
	sampler := faultproxy.NewSampler(burstBucket, p)
	sampler.Start()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			closer, err := dial(p.Addr())
			if err != nil {
				t.Logf("dial: %v", err)
				return
			}
			closer() // frees the slot for the next
			mu.Lock()
			sessions++
			mu.Unlock()
		})
	}
	time.Sleep(burstRefused)
	for _, c := range holders {
		c.Close()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		t.Fatal("the burst did not end within 40s")
	}
	return sampler.Stop(), sessions
}

// waveShare is the largest share of the connections the server got in the
// refused stretch after the first round (from one second on) that fell
// into one bucket: about 1/20 for attempts spread evenly over its 20
// buckets, about 1/2 when every client comes back in the same instant each
// second.
func waveShare(perBucket []int64) float64 {
	from, to := int(time.Second/burstBucket), int(burstRefused/burstBucket)
	window := perBucket[from:min(to, len(perBucket))]
	var sum int64
	for _, v := range window {
		sum += v
	}
	if sum == 0 {
		return 0
	}
	return float64(slices.Max(window)) / float64(sum)
}

// TestRefusedBurstSpreads checks that runs refused together do not come
// back together: sixty sessions dialled at one instant against a server
// that refuses them all for three seconds retry with full jitter, so that
// no 100 ms bucket holds more than a quarter of the connections the server
// gets from the first second to the third; then every one of them gets a
// session through the two free slots. The client library's own schedule,
// a fixed second, is measured alongside and logged (not asserted: it
// shows the waves the jitter removes).
func TestRefusedBurstSpreads(t *testing.T) {
	ours, got := refusedBurst(t, burstDials, func(addr string) (func(), error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := Dial(ctx, Options{Servers: []string{addr}, SessionTimeout: 4 * time.Second,
			ConnectTimeout: time.Second, StartDeadline: 25 * time.Second})
		if err != nil {
			return nil, err
		}
		return s.Close, nil
	})
	t.Logf("jittered backoff: %d of %d sessions; connections per %s: %v (largest share %.2f)",
		got, burstDials, burstBucket, ours, waveShare(ours))
	if got != burstDials {
		t.Errorf("%d of %d sessions established", got, burstDials)
	}
	if share := waveShare(ours); share > 0.25 {
		t.Errorf("one %s bucket got %.0f%% of the retries between 1s and %s: the burst came back in a wave", burstBucket, 100*share, burstRefused)
	}
	fixed, _ := refusedBurst(t, burstDials, func(addr string) (func(), error) {
		c, err := zktest.Connect([]string{addr}, 4*time.Second, 30*time.Second)
		if err != nil {
			return nil, err
		}
		return c.Close, nil
	})
	t.Logf("the library's fixed second: connections per %s: %v (largest share %.2f)", burstBucket, fixed, waveShare(fixed))
}
