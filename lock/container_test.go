package lock

import (
	"context"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// TestQueueDirsDoNotAccumulate: every lock name that ever had a --wait
// waiter, and every resource that had a queue, used to leave its empty
// queue directory behind for good. They are container nodes now, which
// the server deletes once empty (the test servers look every second).
func TestQueueDirsDoNotAccumulate(t *testing.T) {
	srv := zktest.Start(t)
	admin, holder, waiter := dial(t, srv.Addr), dial(t, srv.Addr), dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", "")
	ctx := context.Background()
	queues := path.Join("/sw", QueuesDir)
	for i := range 3 {
		name := fmt.Sprintf("job%d", i)
		h, err := NewMutex(holder, "/sw", name).Acquire(ctx, Info{Host: "holder"})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			w, err := NewMutex(waiter, "/sw", name).AcquireWait(ctx, Info{Host: "waiter"},
				WaitOptions{Deadline: time.Now().Add(30 * time.Second)})
			if err == nil {
				w.Release()
			}
			got <- err
		}()
		waitChildren(t, admin, path.Join(queues, LockQueuePrefix+name), 1) // it really queued
		h.Release()
		if err := <-got; err != nil {
			t.Fatalf("waiter for %s: %v", name, err)
		}
	}
	l, err := NewSemaphores(waiter, "/sw").TakeLeases(ctx, LeaseOptions{Name: "job0",
		Leases: []LeaseRequest{{Resource: "db", Count: 1, Total: 2}}, Info: Info{Host: "waiter"}})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	// The container manager runs every second here; allow for a loaded box.
	deadline := time.Now().Add(60 * time.Second)
	for kids := children(t, admin, queues); len(kids) != 0; kids = children(t, admin, queues) {
		if time.Now().After(deadline) {
			t.Fatalf("queue directories left under %s: %v", queues, kids)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ok, _, err := admin.conn.Exists(queues); err != nil || !ok {
		t.Fatalf("%s itself must stay (exists %v, err %v)", queues, ok, err)
	}
}
