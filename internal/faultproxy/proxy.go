// Package faultproxy is a TCP proxy between one simulated host's ZooKeeper
// clients and a ZooKeeper server or ensemble that can inject network faults
// on command: a partition (Blackhole), a reset of every connection (Reset),
// and the loss of one reply after the server applied the request
// (DropNextReply). It lets the fault harness partition a single client from
// ZooKeeper without root or network namespaces: the client is simply pointed
// at the proxy's address.
//
// The proxy understands ZooKeeper's framing: every message in either direction
// is a 4-byte big-endian length followed by that many bytes. The first message
// each way is the session handshake (connect request and response); after it,
// a request starts with xid int32 and opcode int32, and a reply with xid int32,
// zxid int64 and err int32, where xid -1 marks a watch notification and -2 a
// ping reply. Whole frames are forwarded, so the proxy speaks only this
// protocol (not ZooKeeper's four-letter admin words); a frame longer than
// MaxFrame closes the connection and counts as a protocol error.
//
// A frame that has already passed the mode check when the mode changes is
// still delivered, as a packet already on the wire would be.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what the proxy does to traffic.
type Mode int

const (
	// Pass forwards bytes both ways.
	Pass Mode = iota
	// Blackhole models a network partition: open connections stay open but
	// nothing flows either way, and new connections are accepted but silent
	// (not even connected upstream). Frames, and a peer's close, are held, not
	// delivered or lost. Leaving Blackhole delivers what was held, in order,
	// the way TCP's retransmissions do when a partition heals before either
	// end gives up: a partition shorter than the client's receive timeout
	// (2/3 of the ZooKeeper session timeout) goes unnoticed, and after a longer
	// one the client's own close and its new connection's handshake reach the
	// server late, so it learns its session expired. Frames are whole, so
	// the framing is never corrupted. To model a partition that ends with TCP
	// giving up instead, switch Blackhole -> Reset -> Pass: Reset discards the
	// held frames and resets every connection.
	Blackhole
	// Reset closes every connection with a TCP RST (both to the client and to
	// the server) and resets each new connection at once while the mode lasts.
	Reset
	// DropNextReply drops the next reply the server sends on any connection
	// that is not a ping reply (xid -2), a watch notification (xid -1) or the
	// session handshake, then closes that connection: the client sees a
	// connection loss for a request the server applied. It fires once; the
	// mode then returns to Pass by itself. See also DropNextReplyTo.
	DropNextReply
)

// String returns the mode's name in lower case: pass, blackhole, reset,
// drop-next-reply.
func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Blackhole:
		return "blackhole"
	case Reset:
		return "reset"
	case DropNextReply:
		return "drop-next-reply"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// ZooKeeper request opcodes (ZooDefs.OpCode), for DropNextReplyTo: the
// ones whose lost reply the tests provoke.
const (
	OpCreate  int32 = 1
	OpExists  int32 = 3
	OpGetData int32 = 4
	OpSetData int32 = 5
	OpMulti   int32 = 14
	OpCreate2 int32 = 15
)

// MaxFrame is the largest frame the proxy forwards. ZooKeeper's own limit
// (jute.maxbuffer) defaults to about 1 MiB; anything far beyond it is not
// ZooKeeper traffic.
const MaxFrame = 16 << 20

// Timing constants. dialTimeout bounds one attempt to reach an upstream: on
// loopback a live server answers at once, so 2s only matters for a SIGSTOPped
// host whose backlog is full. closeTimeout bounds Close's wait for goroutines,
// which all end as soon as their sockets are closed.
const (
	dialTimeout  = 2 * time.Second
	closeTimeout = 5 * time.Second
)

// ErrNoUpstream is returned by New when given no upstream address.
var ErrNoUpstream = errors.New("faultproxy: no upstream address")

// Stats counts what the proxy did since New.
type Stats struct {
	Accepted         int64 // client connections accepted
	Active           int   // connections open now
	BytesToServer    int64 // bytes delivered client -> server, including length prefixes
	BytesToClient    int64 // bytes delivered server -> client, including length prefixes
	RepliesDropped   int64 // replies dropped by DropNextReply
	Resets           int64 // connections closed with RST by Reset
	UpstreamFailures int64 // connections closed because no upstream answered
	ProtocolErrors   int64 // connections closed for a frame longer than MaxFrame
}

// Proxy forwards connections from its listening address to upstream servers,
// applying the current Mode. Its methods are safe for concurrent use.
type Proxy struct {
	ln        net.Listener
	upstreams []string
	next      atomic.Uint32 // round-robin start for the next dial
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu      sync.Mutex // guards the fields below; taken before conn.mu
	mode    Mode
	dropOps []int32       // DropNextReply only fires for replies to these ops, if any
	changed chan struct{} // closed and replaced on every mode change
	conns   map[*conn]struct{}
	closed  bool

	accepted, toServer, toClient, dropped, resets, upFails, protoErrs atomic.Int64

	observer atomic.Pointer[func(Event)] // see Observe
}

// New starts a proxy listening on 127.0.0.1 on a free port. Each accepted
// connection is forwarded to the first upstream that accepts a TCP connection,
// trying them round-robin from a different start each time; when that
// connection fails the client's is closed too, and a reconnecting ZooKeeper
// client reaches the next live server. The proxy starts in Pass.
func New(upstreams []string) (*Proxy, error) {
	if len(upstreams) == 0 {
		return nil, ErrNoUpstream
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		ln: ln, upstreams: slices.Clone(upstreams), ctx: ctx, cancel: cancel,
		changed: make(chan struct{}), conns: map[*conn]struct{}{},
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the host:port clients should connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Mode returns the current mode. After DropNextReply has fired it is Pass.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetMode switches to m (see the Mode constants). Entering Reset resets every
// open connection; leaving Blackhole releases the held frames. It never blocks
// on network I/O.
func (p *Proxy) SetMode(m Mode) {
	p.setMode(m, nil)
}

// DropNextReplyTo is DropNextReply restricted to a reply to a request with
// one of ops (for example OpCreate, OpCreate2, OpMulti for "the reply to the
// lock's create"); other replies pass. With no ops it is SetMode(DropNextReply).
func (p *Proxy) DropNextReplyTo(ops ...int32) {
	p.setMode(DropNextReply, slices.Clone(ops))
}

func (p *Proxy) setMode(m Mode, ops []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	// Reset the connections before publishing the new mode, so that a frame
	// held in Blackhole is never delivered once its pump wakes up.
	if m == Reset {
		p.closeAllLocked(true)
	}
	p.mode, p.dropOps = m, ops
	p.announceLocked()
}

// announceLocked wakes every goroutine waiting for a mode change.
func (p *Proxy) announceLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// closeAllLocked closes and forgets every connection.
func (p *Proxy) closeAllLocked(rst bool) {
	for c := range p.conns {
		if c.close(rst) && rst {
			p.resets.Add(1)
		}
	}
	clear(p.conns)
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	active := len(p.conns)
	p.mu.Unlock()
	return Stats{
		Accepted: p.accepted.Load(), Active: active,
		BytesToServer: p.toServer.Load(), BytesToClient: p.toClient.Load(),
		RepliesDropped: p.dropped.Load(), Resets: p.resets.Load(),
		UpstreamFailures: p.upFails.Load(), ProtocolErrors: p.protoErrs.Load(),
	}
}

// Close stops listening and closes every connection (with FIN, not RST), then
// waits up to a few seconds for the proxy's goroutines. Calling it again
// returns nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.closeAllLocked(false)
	p.announceLocked()
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeTimeout):
		return fmt.Errorf("faultproxy: goroutines still running %v after close", closeTimeout)
	}
	if err != nil {
		return fmt.Errorf("faultproxy: close listener: %w", err)
	}
	return nil
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or similar: back off rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.accepted.Add(1)
		p.admit(nc)
	}
}

// admit registers a new client connection, or resets it in Reset mode.
func (p *Proxy) admit(nc net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		nc.Close()
		return
	}
	if p.mode == Reset {
		resetConn(nc)
		p.resets.Add(1)
		return
	}
	c := newConn(nc, p.accepted.Load())
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	go p.serve(c)
}

// forget closes c and removes it from the proxy.
func (p *Proxy) forget(c *conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.close(false)
}

// serve connects c to an upstream once the proxy is not in Blackhole (a
// connection accepted during a partition stays silent until it heals) and
// pumps frames both ways until either side fails.
func (p *Proxy) serve(c *conn) {
	defer p.wg.Done()
	if !p.await(c) {
		return
	}
	sc, err := p.dial()
	if err != nil {
		p.upFails.Add(1)
		p.forget(c)
		return
	}
	if !c.attach(sc) {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.pump(c, toServer)
	}()
	p.pump(c, toClient)
}

// dial connects to the first upstream that answers, starting round-robin.
func (p *Proxy) dial() (net.Conn, error) {
	start := int(p.next.Add(1)) - 1
	d := net.Dialer{Timeout: dialTimeout}
	var errs []error
	for i := range p.upstreams {
		addr := p.upstreams[(start+i)%len(p.upstreams)]
		sc, err := d.DialContext(p.ctx, "tcp", addr)
		if err == nil {
			return sc, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// await blocks while the proxy is in Blackhole. It returns false if c was
// closed meanwhile (by Reset or Close).
func (p *Proxy) await(c *conn) bool {
	for {
		p.mu.Lock()
		m, ch := p.mode, p.changed
		p.mu.Unlock()
		if m != Blackhole {
			return !c.isClosed()
		}
		select {
		case <-ch:
		case <-c.done:
			return false
		}
	}
}

// shouldDrop decides, once, whether reply f is the one DropNextReply drops,
// and if so returns the proxy to Pass.
func (p *Proxy) shouldDrop(c *conn, f frame) bool {
	xid, ok := f.xid()
	if !ok || xid == xidWatch || xid == xidPing {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode != DropNextReply {
		return false
	}
	if len(p.dropOps) > 0 {
		op, known := c.opOf(xid)
		if !known || !slices.Contains(p.dropOps, op) {
			return false
		}
	}
	p.mode, p.dropOps = Pass, nil
	p.announceLocked()
	p.dropped.Add(1)
	return true
}

// counter is the byte counter for frames moving in dir.
func (p *Proxy) counter(dir direction) *atomic.Int64 {
	if dir == toServer {
		return &p.toServer
	}
	return &p.toClient
}
