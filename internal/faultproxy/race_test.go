package faultproxy_test

import (
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// TestReconnectRearmsWatchesWithoutRace drives the ZooKeeper client's
// reconnect path, in which it re-arms its watches (sendSetWatches reads the
// last zxid seen) while its new receive loop records the zxid of every
// reply. Upstream go-zookeeper v1.0.4 does both without synchronisation, a
// data race that a loaded machine hits after any reconnect; the module is
// replaced by the patched copy in third_party/zk. A stand-in server makes
// the race certain: on the second connection it sends a reply right behind
// the handshake, so the receive loop writes the zxid while the watches are
// being re-armed. Run with -race (make test does), it fails on the
// unpatched module.
func TestReconnectRearmsWatchesWithoutRace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveStandIn(c, conns.Add(1))
		}
	}()
	log := &stateLog{changed: make(chan struct{})}
	c, _, err := zk.Connect([]string{ln.Addr().String()}, sessionTimeout,
		zk.WithLogger(zktest.Quiet{}), zk.WithEventCallback(log.record))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := log.waitFor(t, zk.StateHasSession, time.Time{}, 10*time.Second)
	// An exists watch on a missing node: the stand-in answers NoNode and
	// then hangs up, so the client reconnects with a watch to re-arm.
	if ok, _, _, err := c.ExistsW("/watched"); err != nil || ok {
		t.Fatalf("ExistsW = %v, %v; want false, nil", ok, err)
	}
	log.waitFor(t, zk.StateHasSession, first.Add(time.Nanosecond), 10*time.Second)
	if _, _, err := c.Exists("/after"); err != nil {
		t.Fatalf("session unusable after the reconnect: %v", err)
	}
	if n := conns.Load(); n < 2 {
		t.Fatalf("%d connections, want a reconnect", n)
	}
}

// serveStandIn speaks just enough of ZooKeeper's protocol for the test:
// the handshake, a reply to every request (NoNode for exists), a hang-up
// after the first connection's exists, and on later connections a reply
// pushed right behind the handshake.
func serveStandIn(c net.Conn, n int32) {
	defer c.Close()
	if _, err := readStandInFrame(c); err != nil {
		return
	}
	// connect response: protocol version, timeout, session id, password.
	resp := make([]byte, 0, 36)
	resp = binary.BigEndian.AppendUint32(resp, 0)
	resp = binary.BigEndian.AppendUint32(resp, uint32(sessionTimeout/time.Millisecond))
	resp = binary.BigEndian.AppendUint64(resp, 0x5eed)
	resp = binary.BigEndian.AppendUint32(resp, 16)
	resp = append(resp, make([]byte, 16)...)
	if writeStandInFrame(c, resp) != nil {
		return
	}
	zxid := int64(100 * n)
	if n > 1 && writeStandInReply(c, 1<<20, zxid, 0) != nil {
		return
	}
	for {
		req, err := readStandInFrame(c)
		if err != nil || len(req) < 8 {
			return
		}
		xid, op := int32(binary.BigEndian.Uint32(req)), int32(binary.BigEndian.Uint32(req[4:]))
		code := int32(0)
		if op == 3 { // exists
			code = -101 // NoNode
		}
		zxid++
		if writeStandInReply(c, xid, zxid, code) != nil {
			return
		}
		if op == 3 && n == 1 {
			return // hang up: the client reconnects
		}
	}
}

func writeStandInReply(w io.Writer, xid int32, zxid int64, code int32) error {
	b := binary.BigEndian.AppendUint32(nil, uint32(xid))
	b = binary.BigEndian.AppendUint64(b, uint64(zxid))
	return writeStandInFrame(w, binary.BigEndian.AppendUint32(b, uint32(code)))
}

func writeStandInFrame(w io.Writer, body []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	return err
}

func readStandInFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}
