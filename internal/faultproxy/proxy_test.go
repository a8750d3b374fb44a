package faultproxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ioTimeout bounds every read a test expects to succeed; quiet is how long a
// test listens to conclude that nothing arrives.
const (
	ioTimeout = 5 * time.Second
	quiet     = 300 * time.Millisecond
)

// fakeZK is a stand-in ZooKeeper server speaking just the framing: it answers
// the first frame of a connection with a handshake frame and every request
// with a reply carrying the request's xid. Tests can also push frames.
type fakeZK struct {
	ln       net.Listener
	accepted atomic.Int64
	requests atomic.Int64 // non-handshake frames received

	mu    sync.Mutex
	conns []net.Conn
}

func startFakeZK(t *testing.T) *fakeZK {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z := &fakeZK{ln: ln}
	go z.serve()
	t.Cleanup(func() {
		ln.Close()
		z.mu.Lock()
		defer z.mu.Unlock()
		for _, c := range z.conns {
			c.Close()
		}
	})
	return z
}

func (z *fakeZK) addr() string { return z.ln.Addr().String() }

func (z *fakeZK) serve() {
	for {
		c, err := z.ln.Accept()
		if err != nil {
			return
		}
		z.accepted.Add(1)
		z.mu.Lock()
		z.conns = append(z.conns, c)
		z.mu.Unlock()
		go z.answer(c)
	}
}

func (z *fakeZK) answer(c net.Conn) {
	for first := true; ; first = false {
		f, err := readFrame(c)
		if err != nil {
			return
		}
		if first {
			c.Write(mkFrame(make([]byte, 20))) // connect response body: opaque to the proxy
			continue
		}
		z.requests.Add(1)
		xid, _, _ := f.request()
		c.Write(reply(xid))
	}
}

// push sends f on the newest server-side connection.
func (z *fakeZK) push(t *testing.T, f []byte) {
	t.Helper()
	z.mu.Lock()
	defer z.mu.Unlock()
	if len(z.conns) == 0 {
		t.Fatal("fake server has no connection")
	}
	if _, err := z.conns[len(z.conns)-1].Write(f); err != nil {
		t.Fatal(err)
	}
}

func mkFrame(body []byte) []byte {
	f := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(f, uint32(len(body)))
	copy(f[4:], body)
	return f
}

// request builds a request frame: xid, opcode, then a little payload.
func request(xid, op int32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], uint32(xid))
	binary.BigEndian.PutUint32(b[4:], uint32(op))
	copy(b[8:], "path")
	return mkFrame(b)
}

// reply builds a reply frame: xid, zxid, err.
func reply(xid int32) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b[0:], uint32(xid))
	binary.BigEndian.PutUint64(b[4:], 77)
	return mkFrame(b)
}

// proxied starts a fake ZooKeeper and a proxy in front of it.
func proxied(t *testing.T) (*fakeZK, *Proxy) {
	t.Helper()
	z := startFakeZK(t)
	return z, newProxy(t, z.addr())
}

func newProxy(t *testing.T, upstreams ...string) *Proxy {
	t.Helper()
	p, err := New(upstreams)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// client is a test-side ZooKeeper-framed connection through the proxy.
type client struct {
	t *testing.T
	c net.Conn
}

// dialClient connects to the proxy and, if handshake, does the session
// handshake.
func dialClient(t *testing.T, p *Proxy, handshake bool) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c}
	if handshake {
		cl.send(mkFrame([]byte("connect-request")))
		if f := cl.recv(); len(f) != 24 {
			t.Fatalf("handshake reply of %d bytes, want 24", len(f))
		}
	}
	return cl
}

// dialRefused dials the proxy and reports whether the connection was reset.
// Under load the RST can arrive before connect() returns, so a dial that
// fails with ECONNRESET is the same refusal.
func dialRefused(t *testing.T, p *Proxy) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), ioTimeout)
	if errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return (&client{t: t, c: c}).expectClosed()
}

func (c *client) send(f []byte) {
	c.t.Helper()
	if _, err := c.c.Write(f); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) recv() frame {
	c.t.Helper()
	f, err := c.tryRecv(ioTimeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) tryRecv(d time.Duration) (frame, error) {
	c.c.SetReadDeadline(time.Now().Add(d))
	return readFrame(c.c)
}

// expectSilence fails if anything (data or close) arrives within quiet.
func (c *client) expectSilence() {
	c.t.Helper()
	f, err := c.tryRecv(quiet)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("want silence, got frame %x err %v", f, err)
	}
}

// expectClosed waits for the connection to be closed and reports whether it
// was reset (RST) rather than closed with FIN.
func (c *client) expectClosed() (reset bool) {
	c.t.Helper()
	f, err := c.tryRecv(ioTimeout)
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return true
	case errors.Is(err, io.EOF):
		return false
	}
	c.t.Fatalf("want the connection closed, got frame %x err %v", f, err)
	return false
}

func TestNewNeedsUpstream(t *testing.T) {
	if _, err := New(nil); !errors.Is(err, ErrNoUpstream) {
		t.Fatalf("New(nil) error %v, want ErrNoUpstream", err)
	}
}

func TestPass(t *testing.T) {
	_, p := proxied(t)
	c := dialClient(t, p, true)
	for xid := int32(1); xid <= 3; xid++ {
		c.send(request(xid, OpGetData))
		if got, _ := c.recv().xid(); got != xid {
			t.Fatalf("reply xid %d, want %d", got, xid)
		}
	}
	// A frame written a byte at a time arrives whole.
	for _, b := range request(9, OpExists) {
		c.send([]byte{b})
	}
	if got, _ := c.recv().xid(); got != 9 {
		t.Fatalf("reply to split frame has xid %d, want 9", got)
	}
	reqBytes := int64(len(mkFrame([]byte("connect-request"))) + 4*len(request(0, 0)))
	// The proxy counts a frame after its write returns, which can be after
	// the client has read it: wait (bounded) for the counters to settle.
	st := p.Stats()
	for deadline := time.Now().Add(2 * time.Second); (st.BytesToClient != 24+4*20 || st.BytesToServer != reqBytes) && time.Now().Before(deadline); st = p.Stats() {
		time.Sleep(5 * time.Millisecond)
	}
	if st.Accepted != 1 || st.Active != 1 || st.BytesToServer != reqBytes || st.BytesToClient != 24+4*20 {
		t.Errorf("stats %+v: want 1 accepted/active, %d bytes to server, %d to client", st, reqBytes, 24+4*20)
	}
	if p.Mode() != Pass || Pass.String() != "pass" {
		t.Errorf("mode %v, want pass", p.Mode())
	}
}

// blackholed puts p into Blackhole with one connection from before (with a
// request held each way) and one accepted during it (its handshake held), and
// checks that nothing got through.
func blackholed(t *testing.T, z *fakeZK, p *Proxy) (old, fresh *client) {
	t.Helper()
	old = dialClient(t, p, true)
	p.SetMode(Blackhole)
	old.send(request(1, OpGetData))
	old.expectSilence()
	fresh = dialClient(t, p, false) // accepted, but not yet connected upstream
	fresh.send(mkFrame([]byte("connect-request")))
	fresh.expectSilence()
	z.push(t, reply(55)) // server -> client is held too
	old.expectSilence()
	if n := z.requests.Load(); n != 0 {
		t.Fatalf("server received %d requests during blackhole", n)
	}
	if n := z.accepted.Load(); n != 1 {
		t.Fatalf("server accepted %d connections, want only the one from before the blackhole", n)
	}
	return old, fresh
}

func TestBlackholeHealDeliversHeldFrames(t *testing.T) {
	z, p := proxied(t)
	old, fresh := blackholed(t, z, p)

	p.SetMode(Pass)
	for _, want := range []int32{55, 1} { // the pushed frame was held first
		if got, _ := old.recv().xid(); got != want {
			t.Fatalf("after heal: got xid %d, want %d", got, want)
		}
	}
	if f := fresh.recv(); len(f) != 24 {
		t.Fatalf("held handshake answered with %d bytes, want 24", len(f))
	}
	fresh.send(request(3, OpGetData))
	if got, _ := fresh.recv().xid(); got != 3 {
		t.Fatalf("new connection after heal: reply xid %d, want 3", got)
	}
	if st := p.Stats(); st.Resets != 0 || st.Active != 2 || z.requests.Load() != 2 {
		t.Errorf("stats %+v, server requests %d: want no resets, 2 active, 2 requests", st, z.requests.Load())
	}
}

func TestBlackholeHoldsClose(t *testing.T) {
	z, p := proxied(t)
	c := dialClient(t, p, true)
	p.SetMode(Blackhole)
	z.mu.Lock()
	z.conns[0].Close() // the server gives up on the client during the partition
	z.mu.Unlock()
	c.expectSilence()
	p.SetMode(Pass)
	c.expectClosed()
}

func TestBlackholeThenResetDiscards(t *testing.T) {
	z, p := proxied(t)
	old, fresh := blackholed(t, z, p)

	p.SetMode(Reset)
	p.SetMode(Pass)
	if !old.expectClosed() || !fresh.expectClosed() {
		t.Error("connections from the blackhole were closed without RST")
	}
	time.Sleep(50 * time.Millisecond)
	if n := z.requests.Load(); n != 0 {
		t.Errorf("held request delivered after reset (%d requests)", n)
	}
	c := dialClient(t, p, true)
	c.send(request(2, OpGetData))
	if got, _ := c.recv().xid(); got != 2 {
		t.Fatalf("after reset: reply xid %d, want 2", got)
	}
	if st := p.Stats(); st.Resets != 2 {
		t.Errorf("stats %+v: want 2 resets", st)
	}
}

func TestReset(t *testing.T) {
	_, p := proxied(t)
	old := dialClient(t, p, true)

	p.SetMode(Reset)
	if !old.expectClosed() {
		t.Error("open connection closed without RST in Reset mode")
	}
	if !dialRefused(t, p) {
		t.Error("new connection closed without RST in Reset mode")
	}
	p.SetMode(Pass)
	c := dialClient(t, p, true)
	c.send(request(1, OpGetData))
	c.recv()
	if st := p.Stats(); st.Resets != 2 || st.Active != 1 {
		t.Errorf("stats %+v: want 2 resets, 1 active", st)
	}
}

func TestDropNextReply(t *testing.T) {
	tests := []struct {
		name    string
		arm     func(*Proxy)
		passOps []int32 // requests whose replies must pass before the drop
		dropOp  int32
	}{
		{"any reply", func(p *Proxy) { p.SetMode(DropNextReply) }, nil, OpGetData},
		{"reply to create only", func(p *Proxy) { p.DropNextReplyTo(OpCreate, OpCreate2) }, []int32{OpGetData, OpExists}, OpCreate2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, p := proxied(t)
			tt.arm(p) // armed before the handshake: the handshake reply must still pass
			c := dialClient(t, p, true)

			c.send(request(xidPing, 11))
			if xid, _ := c.recv().xid(); xid != xidPing {
				t.Fatalf("ping reply xid %d", xid)
			}
			z.push(t, reply(xidWatch))
			if xid, _ := c.recv().xid(); xid != xidWatch {
				t.Fatalf("watch event xid %d", xid)
			}
			xid := int32(1)
			for _, op := range tt.passOps {
				c.send(request(xid, op))
				if got, _ := c.recv().xid(); got != xid {
					t.Fatalf("reply to op %d: xid %d, want %d", op, got, xid)
				}
				xid++
			}
			c.send(request(xid, tt.dropOp))
			if reset := c.expectClosed(); reset {
				t.Error("connection reset; want a plain close after the dropped reply")
			}
			if n := z.requests.Load(); n != int64(2+len(tt.passOps)) {
				t.Errorf("server saw %d requests, want %d (the dropped reply's request applied)", n, 2+len(tt.passOps))
			}
			if st := p.Stats(); st.RepliesDropped != 1 || p.Mode() != Pass {
				t.Errorf("stats %+v mode %v: want 1 reply dropped and back to pass", st, p.Mode())
			}
			again := dialClient(t, p, true)
			again.send(request(1, tt.dropOp))
			again.recv() // fired once only
		})
	}
}

func TestUpstreamChoice(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there now: connect is refused

	z := startFakeZK(t)
	p := newProxy(t, deadAddr, z.addr())
	for i := range 3 { // round-robin start: every connection still reaches the live one
		c := dialClient(t, p, true)
		c.send(request(int32(i+1), OpGetData))
		c.recv()
	}
	if n := z.accepted.Load(); n != 3 {
		t.Errorf("live upstream accepted %d connections, want 3", n)
	}

	allDead := newProxy(t, deadAddr)
	c := dialClient(t, allDead, false)
	c.expectClosed()
	if st := allDead.Stats(); st.UpstreamFailures != 1 {
		t.Errorf("stats %+v: want 1 upstream failure", st)
	}
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	_, p := proxied(t)
	c := dialClient(t, p, true)
	c.send([]byte{0xff, 0xff, 0xff, 0xff})
	c.expectClosed()
	if st := p.Stats(); st.ProtocolErrors != 1 {
		t.Errorf("stats %+v: want 1 protocol error", st)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	z := startFakeZK(t)
	p, err := New([]string{z.addr()})
	if err != nil {
		t.Fatal(err)
	}
	open := dialClient(t, p, true)
	p.SetMode(Blackhole)
	held := dialClient(t, p, false)
	held.send(mkFrame([]byte("x")))
	time.Sleep(50 * time.Millisecond) // let the proxy accept it

	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > closeTimeout {
		t.Errorf("Close took %v", d)
	}
	open.expectClosed()
	held.expectClosed()
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("proxy still accepts connections after Close")
	}
	p.SetMode(Pass) // no effect, no panic after Close
}

func TestModeString(t *testing.T) {
	want := map[Mode]string{Pass: "pass", Blackhole: "blackhole", Reset: "reset", DropNextReply: "drop-next-reply", Mode(9): "mode(9)"}
	for m, s := range want {
		if m.String() != s {
			t.Errorf("Mode(%d).String() = %q, want %q", int(m), m.String(), s)
		}
	}
	if !strings.Contains(errFrameTooLong.Error(), "faultproxy:") {
		t.Error("sentinel error lacks the package prefix")
	}
}
