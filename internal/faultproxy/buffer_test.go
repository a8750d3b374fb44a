package faultproxy_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// TestBuffersGrow: the patched client's send and receive buffers start
// small (third_party/zk/PATCHED.md) and grow to the packet. Data from one
// byte to near ZooKeeper's 1 MB limit goes out in a create and a multi and
// comes back whole, on one connection; a packet above the send limit
// (WithMaxConnBufferSize) fails with zk.ErrShortBuffer instead of being cut.
func TestBuffersGrow(t *testing.T) {
	srv := zktest.Start(t)
	c, err := zktest.Connect([]string{srv.Addr}, sessionTimeout, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	base := "/buffers-" + t.Name()
	if _, err := c.Create(base, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatal(err)
	}
	for _, size := range []int{1, 16 << 10, 100 << 10, 1000 << 10} {
		data := bytes.Repeat([]byte{'x'}, size)
		data[size-1] = 'y'
		p := base + "/n"
		if _, err := c.Create(p, data, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %d bytes: %v", size, err)
		}
		if _, err := c.Multi(&zk.SetDataRequest{Path: p, Data: data, Version: -1}); err != nil {
			t.Fatalf("multi of %d bytes: %v", size, err)
		}
		got, _, err := c.Get(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get after %d bytes: %d bytes back, %v", size, len(got), err)
		}
		if err := c.Delete(p, -1); err != nil {
			t.Fatal(err)
		}
	}

	small, _, err := zk.Connect([]string{srv.Addr}, sessionTimeout, zk.WithLogger(zktest.Quiet{}), zk.WithMaxConnBufferSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.Create(base+"/big", make([]byte, 100<<10), 0, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrShortBuffer) {
		t.Errorf("create of 100 KB through a 64 KB send limit: %v, want %v", err, zk.ErrShortBuffer)
	}
	if _, err := small.Create(base+"/fits", make([]byte, 40<<10), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Errorf("create of 40 KB through a 64 KB send limit: %v", err)
	}
}

// TestSmallSessionAllocatesLittle: a short session (connect, one read,
// close), what every skipping cron run is, allocates well under one 1.5 MB
// buffer; the unpatched client allocated two.
func TestSmallSessionAllocatesLittle(t *testing.T) {
	srv := zktest.Start(t)
	session := func() {
		c, err := zktest.Connect([]string{srv.Addr}, sessionTimeout, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Exists("/"); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	session() // warm: the first session pays for one-time set-up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 5
	for range n {
		session()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 1<<20 {
		t.Errorf("a short session allocated %d KB, want under 1 MB", per>>10)
	}
	// The patched client sends the read-only flag of every client since
	// 3.4, so the server does not log a warning per session.
	if tail := srv.LogTail(500); strings.Contains(tail, "old client") || !strings.Contains(tail, "session") {
		t.Errorf("server log: want session lines and no \"old client\" warning:\n%s", tail)
	}
}
