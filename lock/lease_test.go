package lock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// leaseOpts returns options leasing one resource under /sw.
func leaseOpts(name, resource string, count, total int64) LeaseOptions {
	return LeaseOptions{
		Name: name, Info: Info{Host: name + ".example.com", PID: 1},
		Leases: []LeaseRequest{{Resource: resource, Count: count, Total: total}},
	}
}

// children lists a node's children, nil when it does not exist.
func children(t *testing.T, s *Session, p string) []string {
	t.Helper()
	kids, _, err := s.conn.Children(p)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("children %s: %v", p, err)
	}
	return kids
}

// waitChildren waits, bounded, until p has n children.
func waitChildren(t *testing.T, s *Session, p string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(children(t, s, p)) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %v, want %d children", p, children(t, s, p), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// takeAsync runs TakeLeases in the background; the result arrives on the
// returned channel.
type taken struct {
	l   *Leases
	err error
}

func takeAsync(s *Session, o LeaseOptions) <-chan taken {
	ch := make(chan taken, 1)
	go func() {
		l, err := NewSemaphores(s, "/sw").TakeLeases(context.Background(), o)
		ch <- taken{l, err}
	}()
	return ch
}

func recv(t *testing.T, ch <-chan taken, within time.Duration) taken {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("TakeLeases did not return within %s", within)
		return taken{}
	}
}

func seqOf(t *testing.T, node string) int64 {
	t.Helper()
	n, ok := parseSeq(path.Base(node))
	if !ok {
		t.Fatalf("no sequence number in %s", node)
	}
	return n
}

// TestLeasesNeverExceedTotal runs many waiters, each on its own session,
// through one semaphore. It checks, three ways, that the holders' counts
// never add up to more than TOTAL: an in-process gauge of the jobs that
// hold a lease, a ZooKeeper-side watcher summing the holder nodes at every
// change, and the count of holders seen at each grant. It also checks that
// grants follow queue order exactly: sorted by queue node, the holder
// nodes' sequence numbers must increase.
func TestLeasesNeverExceedTotal(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", "")
	tests := []struct {
		name   string
		counts []int64
		total  int64
	}{
		{"one of three", repeat([]int64{1}, 24), 3},
		{"mixed counts", repeat([]int64{2, 1, 1}, 8), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource := strings.ReplaceAll(tt.name, " ", "-")
			stopWatch := watchSum(t, srv.Addr, path.Join("/sw", SemaphoresDir, resource, "leases"))
			sessions := make([]*Session, len(tt.counts))
			for i := range sessions {
				sessions[i] = dial(t, srv.Addr)
			}
			var mu sync.Mutex
			var inUse, peak int64
			var results []*Leases
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range tt.counts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					l, err := NewSemaphores(sessions[i], "/sw").TakeLeases(ctx, leaseOpts(fmt.Sprintf("job%d", i), resource, c, tt.total))
					if err != nil {
						t.Errorf("job %d: %v", i, err)
						return
					}
					mu.Lock()
					inUse += c
					peak = max(peak, inUse)
					results = append(results, l)
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
					mu.Lock()
					inUse -= c
					mu.Unlock()
					l.Release()
				}()
			}
			close(start)
			wg.Wait()
			if peak := stopWatch(); peak > tt.total {
				t.Fatalf("holder nodes added up to %d > TOTAL %d", peak, tt.total)
			}
			if peak > tt.total {
				t.Fatalf("%d units held at once, TOTAL is %d", peak, tt.total)
			}
			if peak < tt.total-1 {
				t.Errorf("at most %d units held at once: the semaphore serialised what TOTAL %d allows", peak, tt.total)
			}
			if len(results) != len(tt.counts) {
				t.Fatalf("%d of %d jobs got their lease", len(results), len(tt.counts))
			}
			checkFIFO(t, results)
			if kids := children(t, admin, path.Join("/sw", QueuesDir, resource)); len(kids) != 0 {
				t.Errorf("queue nodes left: %v", kids)
			}
		})
	}
}

func repeat(pattern []int64, n int) []int64 {
	var out []int64
	for range n {
		out = append(out, pattern...)
	}
	return out
}

// checkFIFO checks that grants (holder node sequence) follow the queue
// (queue node sequence).
func checkFIFO(t *testing.T, results []*Leases) {
	t.Helper()
	sort.Slice(results, func(i, j int) bool { return seqOf(t, results[i].Queued[0]) < seqOf(t, results[j].Queued[0]) })
	for i := 1; i < len(results); i++ {
		if a, b := results[i-1], results[i]; seqOf(t, a.Nodes[0]) > seqOf(t, b.Nodes[0]) {
			t.Errorf("not FIFO: %s (queued %s) was granted after %s (queued %s)", a.Nodes[0], a.Queued[0], b.Nodes[0], b.Queued[0])
		}
	}
}

// watchSum follows the holder nodes in dir and records the largest sum of
// counts it sees, on a connection of its own to addr; the returned
// function stops it and returns that sum.
func watchSum(t *testing.T, addr, dir string) func() int64 {
	t.Helper()
	conn, err := zktest.Connect([]string{addr}, testTimeout, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	stop := zktest.PeakHolders(conn, dir)
	return func() int64 {
		peak, err := stop()
		if err != nil {
			t.Error(err)
		}
		return peak
	}
}

// holdDB makes the prefix /sw through admin and has holder take one unit
// of resource db (of total), as lock "holder". It returns the leases and
// db's queue and holder directories.
func holdDB(t *testing.T, admin, holder *Session, total int64) (*Leases, string, string) {
	t.Helper()
	mkPrefix(t, admin, "/sw", "")
	held, err := NewSemaphores(holder, "/sw").TakeLeases(context.Background(), leaseOpts("holder", "db", 1, total))
	if err != nil {
		t.Fatal(err)
	}
	return held, path.Join("/sw", QueuesDir, "db"), path.Join("/sw", SemaphoresDir, "db", "leases")
}

func TestLeaseRefusals(t *testing.T) {
	srv := zktest.Start(t)
	admin, holder, other := dial(t, srv.Addr), dial(t, srv.Addr), dial(t, srv.Addr)
	ctx := context.Background()
	held, queue, sem := holdDB(t, admin, holder, 3)
	if len(held.Nodes) != 1 || !strings.HasPrefix(path.Base(held.Nodes[0]), "1_3_") || path.Dir(held.Nodes[0]) != sem {
		t.Fatalf("holder node %v: want %s/1_3_NNNNNNNNNN, the original's layout", held.Nodes, sem)
	}

	t.Run("total mismatch", func(t *testing.T) {
		_, err := NewSemaphores(other, "/sw").TakeLeases(ctx, leaseOpts("other", "db", 1, 4))
		var tm *TotalMismatchError
		if !errors.As(err, &tm) || !errors.Is(err, ErrTotalMismatch) || tm.HolderTotal != 3 || tm.Total != 4 ||
			!strings.Contains(err.Error(), "TOTAL 4 disagrees with TOTAL 3 of the current holder 1_3_") {
			t.Fatalf("err = %v", err)
		}
		if kids := children(t, admin, queue); len(kids) != 0 {
			t.Errorf("refused waiter left queue nodes %v", kids)
		}
	})

	t.Run("lock already held", func(t *testing.T) {
		lk, err := NewMutex(holder, "/sw", "job").Acquire(ctx, Info{Host: "runner.example.com", PID: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Release()
		o := leaseOpts("job", "db", 1, 3)
		o.WatchLock = true
		_, err = NewSemaphores(other, "/sw").TakeLeases(ctx, o)
		var busy *BusyError
		if !errors.As(err, &busy) || busy.Holder.Host != "runner.example.com" {
			t.Fatalf("err = %v, want a BusyError naming the holder", err)
		}
		if kids := children(t, admin, queue); len(kids) != 0 {
			t.Errorf("a run whose lock is busy queued anyway: %v", kids)
		}
	})

	t.Run("no prefix", func(t *testing.T) {
		o := leaseOpts("job", "db", 1, 3)
		if _, err := NewSemaphores(other, "/missing").TakeLeases(ctx, o); !errors.Is(err, ErrNoPrefix) {
			t.Fatalf("err = %v, want ErrNoPrefix", err)
		}
	})
	held.Release()
	if kids := children(t, admin, sem); len(kids) != 0 {
		t.Errorf("Release left %v", kids)
	}
}

// TestLeaseWaits covers the ways a wait ends besides a grant.
func TestLeaseWaits(t *testing.T) {
	srv := zktest.Start(t)
	// Sessions that hold a lease across subtests belong to the parent
	// test: a subtest's cleanup would close them, releasing the lease.
	admin, holder, next := dial(t, srv.Addr), dial(t, srv.Addr), dial(t, srv.Addr)
	held, queue, sem := holdDB(t, admin, holder, 1)

	t.Run("deadline", func(t *testing.T) {
		late := dial(t, srv.Addr)
		checkGivesUp(t, admin, queue, func(deadline time.Time) error {
			o := leaseOpts("late", "db", 1, 1)
			o.Deadline = deadline
			_, err := NewSemaphores(late, "/sw").TakeLeases(context.Background(), o)
			return err
		})
		if kids := children(t, admin, sem); len(kids) != 1 {
			t.Errorf("holders %v, want only the first job's", kids)
		}
	})

	t.Run("duplicate lock name", func(t *testing.T) {
		first := takeAsync(dial(t, srv.Addr), leaseOpts("job", "db", 1, 1))
		waitChildren(t, admin, queue, 1)
		_, err := NewSemaphores(dial(t, srv.Addr), "/sw").TakeLeases(context.Background(), leaseOpts("job", "db", 1, 1))
		if !errors.Is(err, ErrQueued) || !strings.Contains(err.Error(), queue+"/job-") {
			t.Fatalf("err = %v, want ErrQueued naming the waiting node", err)
		}
		waitChildren(t, admin, queue, 1)
		// The first waiter is still queued; a different name is not a duplicate.
		second := takeAsync(next, leaseOpts("other", "db", 1, 1))
		waitChildren(t, admin, queue, 2)
		held.Release()
		r := recv(t, first, 10*time.Second)
		if r.err != nil {
			t.Fatalf("first waiter: %v", r.err)
		}
		r.l.Release()
		if r := recv(t, second, 10*time.Second); r.err != nil {
			t.Fatalf("second waiter: %v", r.err)
		} else {
			held = r.l
		}
	})

	t.Run("lock appears while waiting", func(t *testing.T) {
		o := leaseOpts("job", "db", 1, 1)
		o.WatchLock = true
		waiter := takeAsync(dial(t, srv.Addr), o)
		waitChildren(t, admin, queue, 1)
		lk, err := NewMutex(dial(t, srv.Addr), "/sw", "job").Acquire(context.Background(), Info{Host: "elsewhere.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Release()
		r := recv(t, waiter, 5*time.Second)
		var busy *BusyError
		if !errors.As(r.err, &busy) || busy.Holder.Host != "elsewhere.example.com" {
			t.Fatalf("err = %v, want a BusyError", r.err)
		}
		if kids := children(t, admin, queue); len(kids) != 0 {
			t.Errorf("queue nodes left: %v", kids)
		}
	})

	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		errStop := errors.New("stop signal")
		ch := make(chan error, 1)
		go func() {
			_, err := NewSemaphores(dial(t, srv.Addr), "/sw").TakeLeases(ctx, leaseOpts("job", "db", 1, 1))
			ch <- err
		}()
		waitChildren(t, admin, queue, 1)
		cancel(errStop)
		select {
		case err := <-ch:
			if !errors.Is(err, errStop) {
				t.Fatalf("err = %v, want the context's cause", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("TakeLeases ignored the cancelled context")
		}
		if kids := children(t, admin, queue); len(kids) != 0 {
			t.Errorf("queue nodes left: %v", kids)
		}
	})

	t.Run("session expiry", func(t *testing.T) {
		p := proxy(t, srv.Addr)
		waiter := takeAsync(dial(t, p.Addr()), leaseOpts("job", "db", 1, 1))
		waitChildren(t, admin, queue, 1)
		// A partition longer than the 2s session timeout: the server
		// expires the session, which deletes the waiter's queue node.
		p.SetMode(faultproxy.Blackhole)
		waitChildren(t, admin, queue, 0)
		p.SetMode(faultproxy.Reset)
		p.SetMode(faultproxy.Pass)
		r := recv(t, waiter, 10*time.Second)
		if !errors.Is(r.err, ErrSessionExpired) {
			t.Fatalf("err = %v, want ErrSessionExpired", r.err)
		}
	})
	held.Release()
}

func proxy(t *testing.T, addr string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestLeaseLostCreateReply loses the replies to both creates of a waiter,
// its queue node's and its holder node's, after the server applied them:
// the waiter must find its nodes by their token and never create a second
// one (a second holder node would count its lease twice).
func TestLeaseLostCreateReply(t *testing.T) {
	srv := zktest.Start(t)
	admin, holder := dial(t, srv.Addr), dial(t, srv.Addr)
	held, queue, sem := holdDB(t, admin, holder, 1)
	p := proxy(t, srv.Addr)
	s := dial(t, p.Addr())
	p.DropNextReplyTo(faultproxy.OpCreate)
	waiter := takeAsync(s, leaseOpts("job", "db", 1, 1))
	waitChildren(t, admin, queue, 1)
	waitFor(t, func() bool { return p.Stats().RepliesDropped == 1 }, "the queue node's create reply to be dropped")
	p.DropNextReplyTo(faultproxy.OpCreate)
	held.Release()
	r := recv(t, waiter, 15*time.Second)
	if r.err != nil {
		t.Fatalf("waiter: %v", r.err)
	}
	if got := p.Stats().RepliesDropped; got != 2 {
		t.Fatalf("%d replies dropped, want 2: the test did not lose the holder's create", got)
	}
	if kids := children(t, admin, sem); len(kids) != 1 || "/sw/semaphores/db/leases/"+kids[0] != r.l.Nodes[0] {
		t.Fatalf("holders %v, want exactly the waiter's %v", kids, r.l.Nodes)
	}
	if kids := children(t, admin, queue); len(kids) != 0 {
		t.Fatalf("queue nodes left: %v", kids)
	}
	r.l.Release()
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAcquireWait(t *testing.T) {
	srv := zktest.Start(t)
	admin, holder := dial(t, srv.Addr), dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", "")
	ctx := context.Background()
	queue := path.Join("/sw", QueuesDir, LockQueuePrefix+"job")

	t.Run("free lock", func(t *testing.T) {
		h, err := NewMutex(holder, "/sw", "job").AcquireWait(ctx, Info{Host: "a"}, WaitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if kids := children(t, admin, queue); len(kids) != 0 {
			t.Errorf("queue nodes left after taking a free lock: %v", kids)
		}
		h.Release()
	})

	t.Run("fifo", func(t *testing.T) {
		h, err := NewMutex(holder, "/sw", "job").Acquire(ctx, Info{Host: "holder"})
		if err != nil {
			t.Fatal(err)
		}
		type got struct {
			i   int
			h   *Held
			err error
		}
		order := make(chan got, 3)
		for i := range 3 {
			s := dial(t, srv.Addr)
			go func() {
				h, err := NewMutex(s, "/sw", "job").AcquireWait(ctx, Info{Host: fmt.Sprint(i)}, WaitOptions{Deadline: time.Now().Add(30 * time.Second)})
				order <- got{i, h, err}
			}()
			waitChildren(t, admin, queue, i+1) // queue in a known order
		}
		h.Release()
		for want := range 3 {
			select {
			case g := <-order:
				if g.err != nil || g.i != want {
					t.Fatalf("waiter %d got the lock (err %v), want waiter %d", g.i, g.err, want)
				}
				time.Sleep(50 * time.Millisecond) // give a wrong waiter the chance to barge in
				g.h.Release()
			case <-time.After(10 * time.Second):
				t.Fatalf("waiter %d never got the lock", want)
			}
		}
		waitChildren(t, admin, queue, 0)
	})

	t.Run("deadline", func(t *testing.T) {
		h, err := NewMutex(holder, "/sw", "job").Acquire(ctx, Info{Host: "holder"})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Release()
		late := dial(t, srv.Addr)
		checkGivesUp(t, admin, queue, func(deadline time.Time) error {
			_, err := NewMutex(late, "/sw", "job").AcquireWait(ctx, Info{}, WaitOptions{Deadline: deadline})
			return err
		})
	})
}

// checkGivesUp calls wait with a deadline 300ms away and checks that the
// wait ends with ErrWaitTimeout, neither before the deadline nor long
// after it, and leaves no node in queue.
func checkGivesUp(t *testing.T, admin *Session, queue string, wait func(deadline time.Time) error) {
	t.Helper()
	start := time.Now()
	if err := wait(start.Add(300 * time.Millisecond)); !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("err = %v, want ErrWaitTimeout", err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("gave up after %s, deadline was 300ms", took)
	}
	if kids := children(t, admin, queue); len(kids) != 0 {
		t.Errorf("queue nodes left after the timeout: %v", kids)
	}
}

// TestFindAfterLostReply checks the recovery of a create whose reply was
// lost: the node is found again by the token in its data, and only by it.
func TestFindAfterLostReply(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", "")
	w := s.newWaiter(context.Background(), time.Time{}, s.log)
	defer w.close()
	dir := path.Join("/sw", QueuesDir, "db")
	var nodes []string
	for _, tok := range []string{"t1", "t2"} {
		p, err := w.create("/sw", dir, "job-", []byte(`{"token":"`+tok+`"}`), tok)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, p)
	}
	for i, tok := range []string{"t1", "t2"} {
		if p, err := w.find(dir, "job-", tok); err != nil || p != nodes[i] {
			t.Errorf("find(%s) = %q, %v; want %s", tok, p, err, nodes[i])
		}
	}
	if p, err := w.find(dir, "job-", "t3"); err != nil || p != "" {
		t.Errorf("find(unknown token) = %q, %v; want nothing", p, err)
	}
	if p, err := w.find(dir, "other-", "t1"); err != nil || p != "" {
		t.Errorf("find(other name) = %q, %v; want nothing", p, err)
	}
}

func TestQueueNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kids       []string
		mine       string
		dup        string
		pred, dupe string
		present    bool
	}{
		{[]string{"a-0000000001"}, "a-0000000001", "a", "", "", true},
		{[]string{"b-0000000003", "a-0000000001", "c-0000000002"}, "b-0000000003", "b", "c-0000000002", "", true},
		{[]string{"x-5-0000000001", "x-0000000002"}, "x-0000000002", "x", "x-5-0000000001", "", true},
		{[]string{"x-0000000001", "y-0000000002", "x-0000000003"}, "x-0000000003", "x", "y-0000000002", "x-0000000001", true},
		{[]string{"x-0000000001", "junk"}, "x-0000000002", "", "x-0000000001", "", false},
	}
	for _, tt := range tests {
		me, _ := parseSeq(tt.mine)
		pred, present, ahead := predecessor(tt.kids, tt.mine, me, tt.dup)
		if pred != tt.pred || present != tt.present || ahead != tt.dupe {
			t.Errorf("predecessor(%v, %s) = %q %v %q; want %q %v %q", tt.kids, tt.mine, pred, present, ahead, tt.pred, tt.present, tt.dupe)
		}
	}
	for name, want := range map[string][3]int64{"1_3_0000000007": {1, 3, 1}, "10_20_0000000000": {10, 20, 1}, "lock": {}, "1_3": {}, "a_3_0000000001": {}, "-1_3_0000000001": {}} {
		c, tot, ok := parseHolder(name)
		if got := [3]int64{c, tot, map[bool]int64{true: 1}[ok]}; got != want {
			t.Errorf("parseHolder(%q) = %v, want %v", name, got, want)
		}
	}
}
