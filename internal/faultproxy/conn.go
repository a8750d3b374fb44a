package faultproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Reply xids with a special meaning in ZooKeeper's protocol.
const (
	xidWatch int32 = -1 // watch notification, not a reply to any request
	xidPing  int32 = -2 // ping reply
)

// errFrameTooLong reports a length prefix beyond MaxFrame.
var errFrameTooLong = errors.New("faultproxy: frame longer than MaxFrame")

// direction is which way a pump moves frames.
type direction int

const (
	toServer direction = iota
	toClient
)

// conn is one proxied client connection and its upstream connection.
type conn struct {
	id     int64 // from 1, in the order accepted
	client net.Conn
	done   chan struct{} // closed by close

	mu     sync.Mutex // guards the fields below
	server net.Conn   // nil until attach
	closed bool
	ops    map[int32]int32 // xid -> opcode of requests awaiting a reply
}

func newConn(client net.Conn, id int64) *conn {
	return &conn{id: id, client: client, done: make(chan struct{}), ops: map[int32]int32{}}
}

// attach sets the upstream connection; if c was closed while dialing it
// resets sc and returns false.
func (c *conn) attach(sc net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		resetConn(sc)
		return false
	}
	c.server = sc
	return true
}

// close closes both sides, with RST if rst, and reports whether this call did
// it (false if c was already closed).
func (c *conn) close(rst bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	for _, nc := range []net.Conn{c.client, c.server} {
		if nc == nil {
			continue
		}
		if rst {
			resetConn(nc)
		} else {
			nc.Close()
		}
	}
	close(c.done)
	return true
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *conn) peers(dir direction) (src, dst net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if dir == toServer {
		return c.client, c.server
	}
	return c.server, c.client
}

// noteRequest remembers the opcode of request f so its reply can be matched.
// Pings are left out: they are frequent and recognised by xid alone.
func (c *conn) noteRequest(f frame) {
	xid, op, ok := f.request()
	if !ok || xid == xidPing {
		return
	}
	c.mu.Lock()
	c.ops[xid] = op
	c.mu.Unlock()
}

// opOf returns the opcode of the request with xid.
func (c *conn) opOf(xid int32) (int32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	op, ok := c.ops[xid]
	return op, ok
}

// noteReply forgets the request that reply f answers.
func (c *conn) noteReply(f frame) {
	if xid, ok := f.xid(); ok {
		c.mu.Lock()
		delete(c.ops, xid)
		c.mu.Unlock()
	}
}

// resetConn closes nc so that the kernel sends RST instead of FIN: with
// SO_LINGER set to 0, close(2) discards unsent data and aborts the
// connection, which the peer sees as "connection reset by peer".
func resetConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	nc.Close()
}

// frame is one ZooKeeper message including its 4-byte length prefix.
type frame []byte

// readFrame reads one length-prefixed frame.
func readFrame(r io.Reader) (frame, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("%w: length %d", errFrameTooLong, n)
	}
	f := make(frame, 4+n)
	copy(f, hdr[:])
	if _, err := io.ReadFull(r, f[4:]); err != nil {
		return nil, err
	}
	return f, nil
}

// xid returns the first header field (xid in requests and replies).
func (f frame) xid() (int32, bool) {
	if len(f) < 8 {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(f[4:8])), true
}

// request returns a request's xid and opcode.
func (f frame) request() (xid, op int32, ok bool) {
	if len(f) < 12 {
		return 0, 0, false
	}
	return int32(binary.BigEndian.Uint32(f[4:8])), int32(binary.BigEndian.Uint32(f[8:12])), true
}

// pump moves frames one way until either side fails or c is closed, applying
// the proxy's mode to each frame. The first frame each way is the session
// handshake and is never dropped.
func (p *Proxy) pump(c *conn, dir direction) {
	src, dst := c.peers(dir)
	for first := true; ; first = false {
		f, err := readFrame(src)
		// Hold the frame, or the peer's close, while partitioned.
		if !p.await(c) {
			return
		}
		if err != nil {
			if errors.Is(err, errFrameTooLong) {
				p.protoErrs.Add(1)
			}
			p.forget(c)
			return
		}
		p.observe(c, dir, f, first)
		if !first && !p.account(c, dir, f) {
			p.forget(c)
			return
		}
		if _, err := dst.Write(f); err != nil {
			p.forget(c)
			return
		}
		p.counter(dir).Add(int64(len(f)))
	}
}

// account tracks request opcodes and applies DropNextReply; it returns false
// if f must be dropped and the connection closed.
func (p *Proxy) account(c *conn, dir direction, f frame) bool {
	if dir == toServer {
		c.noteRequest(f)
		return true
	}
	if p.shouldDrop(c, f) {
		return false
	}
	c.noteReply(f)
	return true
}
