package lock

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/znode"
)

// Options configure a Session.
type Options struct {
	// Servers lists ZooKeeper servers as host:port.
	Servers []string
	// SessionTimeout is the session timeout asked of the server.
	SessionTimeout time.Duration
	// ConnectTimeout bounds one attempt round: each server of the round
	// gets a share of it to connect and answer (see handshakeBudget).
	ConnectTimeout time.Duration
	// StartDeadline bounds how long Dial keeps trying for a session:
	// attempt rounds over the servers, separated by an exponential backoff
	// with full jitter (see backoffWait), until one gives a session. It
	// also bounds, when longer than the session timeout, the wait for the
	// session to come back after a connection loss before it. Zero means
	// ConnectTimeout, and so does any value below it: a round is never cut
	// short.
	StartDeadline time.Duration
	// Logger receives the client library's chatter at debug level and the
	// session's own events. The zero value logs nothing.
	Logger zerolog.Logger
	// Auth, when set, is "user:password" for ZooKeeper's digest scheme. It
	// is added to the session before any other request, and nodes this
	// session creates then get full rights for this identity and read for
	// everyone (see nodeACL); without it they are open to all.
	Auth string
	// TLS, when set, makes every connection TLS with these settings; an
	// empty ServerName means the host part of the server's address.
	TLS *tls.Config
}

// Session is one ZooKeeper session. It is safe for concurrent use. It
// exposes the session's liveness and its end; the lock, the semaphores and
// the start claim are handles made from it (NewMutex, NewSemaphores,
// NewStartClaim), and package fleet keeps its state through its Client.
type Session struct {
	// conn sends every request of the session, this package's and fleet's.
	conn *znode.Client
	log  zerolog.Logger
	// asked is the timeout requested; negotiated, what the server granted
	// (sniffed from the connect response, in milliseconds).
	asked      time.Duration
	negotiated atomic.Int64
	// lastHeard is when a byte last arrived from the server (unix nanos).
	lastHeard atomic.Int64

	mu      sync.Mutex
	subs    []chan zk.State
	hasSess chan struct{}
	hsOnce  sync.Once

	tls *tls.Config
	// handshake bounds, per server tried, the TCP connect, the TLS
	// handshake and ZooKeeper's connect request and response (see
	// handshakeBudget).
	handshake time.Duration
	// dialErr is the last connection failure, reported when no session
	// comes (a TLS handshake error says far more than a timeout).
	dialErr atomic.Value

	// startBy is Dial's deadline (see Options.StartDeadline).
	startBy time.Time
	// attempts counts the connections tried, the one that succeeded
	// included; rounds, the failed attempt rounds since the last session,
	// which set the backoff's ceiling.
	attempts atomic.Int64
	rounds   atomic.Int64
	// pending is the backoff (nanoseconds) to wait before the next
	// connection after an expiry, which the library follows with a new
	// connection at once.
	pending atomic.Int64
	// quit, closed by Close, ends a backoff wait; refused, closed by dial,
	// says that a server's certificate failed verification, which no retry
	// mends.
	quit, refused         chan struct{}
	quitOnce, refusedOnce sync.Once
}

// Dial connects to ZooKeeper and waits for a session: at most
// StartDeadline (not less than ConnectTimeout), in attempt rounds over the
// servers with a jittered backoff between them, so that a burst of runs
// refused together does not fail, nor come back together. It returns an
// error wrapping ErrUnreachable when no session is established by then, or
// at once when a server's certificate fails verification.
func Dial(ctx context.Context, o Options) (*Session, error) {
	wait := max(o.StartDeadline, o.ConnectTimeout)
	start := time.Now()
	s := &Session{
		log:       o.Logger,
		asked:     o.SessionTimeout,
		hasSess:   make(chan struct{}),
		tls:       o.TLS,
		handshake: handshakeBudget(len(o.Servers), o.ConnectTimeout, o.SessionTimeout),
		startBy:   start.Add(wait),
		quit:      make(chan struct{}),
		refused:   make(chan struct{}),
	}
	conn, _, err := zk.Connect(o.Servers, o.SessionTimeout,
		zk.WithLogger(zkLogger{o.Logger}),
		zk.WithDialer(s.dial),
		zk.WithEventCallback(s.onEvent),
		zk.WithRetryDelay(s.roundDelay),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	s.conn = znode.New(conn, nodeACL(o.Auth != ""), s.waitSession, s.ConnectAttempts)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-s.hasSess:
		s.logRetried(start)
		if err = s.addAuth(o.Auth); err == nil {
			return s, nil
		}
	case <-timer.C:
		err = fmt.Errorf("%w: no session with %s within %s (%s)%s", ErrUnreachable, strings.Join(o.Servers, ","), wait,
			s.attemptsText(), s.lastDialErr())
	case <-s.refused:
		err = fmt.Errorf("%w: %s%s", ErrUnreachable, strings.Join(o.Servers, ","), s.lastDialErr())
	case <-ctx.Done():
		err = fmt.Errorf("%w: %v", ErrUnreachable, context.Cause(ctx))
	}
	s.stopWaits()
	conn.Close()
	return nil, err
}

// logRetried logs, at info, a session that took more than one connection:
// the log file keeps the count, cron's mail does not (see Dial).
func (s *Session) logRetried(start time.Time) {
	if n := s.attempts.Load(); n > 1 {
		s.log.Info().Int64("connect_attempts", n).Int64("connect_ms", time.Since(start).Milliseconds()).
			Msg("zookeeper session after retries")
	}
}

// attemptsText says how many connections were tried.
func (s *Session) attemptsText() string {
	if n := s.attempts.Load(); n != 1 {
		return fmt.Sprintf("%d connection attempts", n)
	}
	return "1 connection attempt"
}

// ConnectAttempts returns how many connections the session has tried so
// far, the one that succeeded included: 1 when the first server tried gave
// a session and kept it. Every attempt sends one connection, so the count
// is also the load the run put on the servers to get its session.
func (s *Session) ConnectAttempts() int64 { return s.attempts.Load() }

// roundDelay is the client library's wait after a pass over every server
// without a session (zk.WithRetryDelay): the backoff of the next round.
func (s *Session) roundDelay() time.Duration {
	round := s.rounds.Add(1)
	d := nextBackoff(int(round))
	s.log.Debug().Int64("round", round).Int64("connect_attempts", s.attempts.Load()).Int64("backoff_ms", d.Milliseconds()).
		Msg("no zookeeper server gave a session; retrying")
	return d
}

// onExpired makes a session the server reported expired a failed round:
// a local session cannot move to another server, and reconnecting
// elsewhere reads as expired. The client library then opens a new session
// at once; dial first waits the backoff, so that the runs of a server
// that went away do not all come back together. Before the command
// starts, the run carries on with the new session (its requests are
// retried, its watches re-read); after, the guard treats the expiry as
// lost permission.
func (s *Session) onExpired() {
	round := s.rounds.Add(1)
	d := nextBackoff(int(round))
	s.pending.Store(int64(d))
	s.log.Debug().Int64("round", round).Int64("connect_attempts", s.attempts.Load()).Int64("backoff_ms", d.Milliseconds()).
		Msg("zookeeper session expired; a new one follows")
}

// pause waits the backoff onExpired asked for, if any; Close ends it.
func (s *Session) pause() error {
	d := time.Duration(s.pending.Swap(0))
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.quit:
		return zk.ErrClosing
	}
}

// stopWaits ends a backoff wait in dial, for Close.
func (s *Session) stopWaits() { s.quitOnce.Do(func() { close(s.quit) }) }

// resumeWithin is how long a request may wait for the session to come
// back after a connection loss: the session timeout, or until the start
// deadline when that is later, so that a run refused again in a burst
// keeps trying as long as Dial would have.
func (s *Session) resumeWithin() time.Duration {
	return max(s.Timeout(), time.Until(s.startBy))
}

// addAuth adds digest credentials to the session. It runs before any other
// request of ours; the client library re-adds them after a reconnect.
// ZooKeeper accepts any digest credentials here: a wrong password shows as
// NOAUTH on the first node whose ACL wants the right one.
func (s *Session) addAuth(auth string) error {
	if auth == "" {
		return nil
	}
	if err := s.conn.AddAuth("digest", []byte(auth)); err != nil {
		return fmt.Errorf("%w: add digest credentials: %v", ErrAuth, err)
	}
	return nil
}

// nodeACL is the ACL of the nodes a session creates: open to all without
// credentials; with them, all rights for the creator's identity and read for
// everyone, so that nobody else can delete a running job's lock.
func nodeACL(authenticated bool) []zk.ACL {
	if !authenticated {
		return zk.WorldACL(zk.PermAll)
	}
	return append(zk.AuthACL(zk.PermAll), zk.WorldACL(zk.PermRead)...)
}

// handshakeBudget is how long one server may take to connect and answer
// ZooKeeper's connect request before the next one is tried.
//
// go-zookeeper waits for the connect response up to ten times its receive
// timeout (about 6.7 S), far past connect_timeout: a server that accepts
// TCP but never answers (a long GC pause, a stuck disk, SIGSTOP) made a
// fresh run fail although a quorum of healthy servers was there. With n
// servers, a healthy ensemble has at most (n-1)/2 such servers, each tried
// at most once before a healthy one, so each gets an equal share of
// connect_timeout with one share left for a healthy server. With several
// servers the budget is also capped at a third of the session timeout, so
// that a reconnect while a job runs moves on from a hung server well
// before self-fencing would stop the job. A lone server gets the whole
// connect_timeout: there is nothing else to try, and a TLS handshake with
// a cold JVM can be slow.
func handshakeBudget(n int, connect, session time.Duration) time.Duration {
	hung := max(n-1, 0) / 2
	if hung == 0 {
		return connect
	}
	b := connect / time.Duration(hung+1)
	if session > 0 {
		b = min(b, session/3)
	}
	return b
}

// dial opens a TCP (or TLS) connection and wraps it so that every byte read
// stamps lastHeard and the handshake with this server ends within
// s.handshake.
//
// Each call is one connection attempt, counted and logged at debug.
func (s *Session) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	if err := s.pause(); err != nil {
		return nil, err
	}
	n := s.attempts.Add(1)
	s.log.Debug().Str("server", addr).Int64("attempt", n).Msg("connecting to zookeeper")
	deadline := time.Now().Add(s.handshake)
	var c net.Conn
	var err error
	if s.tls == nil {
		d := net.Dialer{Timeout: timeout, Deadline: deadline}
		c, err = d.Dial(network, addr)
	} else {
		c, err = s.dialTLS(network, addr, deadline)
	}
	if err != nil {
		s.dialErr.Store(err.Error())
		if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
			s.refusedOnce.Do(func() { close(s.refused) })
		}
		return nil, err
	}
	hc := &heardConn{Conn: c, s: s, handshakeBy: deadline}
	if err := hc.bound(); err != nil {
		c.Close()
		return nil, err
	}
	return hc, nil
}

// dialTLS connects and completes the TLS handshake by deadline, verifying
// the server's certificate against the configured roots.
func (s *Session) dialTLS(network, addr string, deadline time.Time) (net.Conn, error) {
	cfg := s.tls.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = host
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Deadline: deadline}, Config: cfg}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("tls %s: %w", addr, err)
	}
	return c, nil
}

// lastDialErr formats the last connection failure for an error message.
func (s *Session) lastDialErr() string {
	if e, ok := s.dialErr.Load().(string); ok {
		return "; last error: " + e
	}
	return ""
}

// heardConn records when the server was last heard from, sniffs the
// negotiated session timeout from the connect response, which go-zookeeper
// does not export (the response starts with length, protocol version and
// timeout, three big-endian int32s), and holds every read and write
// deadline to handshakeBy until that response is in: the library sets
// none on part of the handshake, and a far one on the rest.
type heardConn struct {
	net.Conn
	s    *Session
	head [12]byte
	// got counts the bytes of the connect response read so far; only the
	// reading goroutine touches it.
	got int

	mu sync.Mutex
	// handshakeBy is zero once the connect response is in.
	handshakeBy time.Time
	// read and write are the deadlines the library asked for.
	read, write time.Time
}

func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.lastHeard.Store(time.Now().UnixNano())
		c.sniff(p[:n])
	}
	return n, err
}

// sniff follows the connect response: it takes the negotiated timeout from
// its head and lifts the handshake deadline once it is complete.
func (c *heardConn) sniff(b []byte) {
	if c.got < len(c.head) {
		k := copy(c.head[c.got:], b)
		c.got += k
		if c.got == len(c.head) {
			if ms := int32(binary.BigEndian.Uint32(c.head[8:])); ms > 0 {
				c.s.negotiated.Store(int64(ms))
			}
		}
		b = b[k:]
	}
	if c.got < 4 {
		return
	}
	whole := 4 + int(binary.BigEndian.Uint32(c.head[:4]))
	if c.got >= whole {
		return // the handshake ended earlier
	}
	c.got = min(c.got+len(b), whole)
	if c.got == whole {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.handshakeBy = time.Time{}
		_ = c.apply()
	}
}

// SetReadDeadline sets the read deadline, held to the handshake deadline
// while the handshake lasts.
func (c *heardConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read = t
	return c.apply()
}

// SetWriteDeadline sets the write deadline, held to the handshake deadline
// while the handshake lasts.
func (c *heardConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write = t
	return c.apply()
}

// SetDeadline sets both deadlines.
func (c *heardConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.read, c.write = t, t
	return c.apply()
}

// bound puts the handshake deadline in force before the library's first
// request.
func (c *heardConn) bound() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.apply()
}

// apply sets the deadlines in force on the connection. c.mu is held.
func (c *heardConn) apply() error {
	clamp := func(t time.Time) time.Time {
		if !c.handshakeBy.IsZero() && (t.IsZero() || t.After(c.handshakeBy)) {
			return c.handshakeBy
		}
		return t
	}
	return errors.Join(c.Conn.SetReadDeadline(clamp(c.read)), c.Conn.SetWriteDeadline(clamp(c.write)))
}

func (s *Session) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.log.Debug().Str("state", ev.State.String()).Str("server", ev.Server).Msg("zookeeper session event")
	switch ev.State {
	case zk.StateHasSession:
		s.rounds.Store(0)
		s.hsOnce.Do(func() { close(s.hasSess) })
	case zk.StateExpired:
		s.onExpired()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		select {
		case ch <- ev.State:
		default: // a full channel already holds a wake-up; the reader re-reads state
		}
	}
}

// subscribe returns a channel that receives session state changes.
func (s *Session) subscribe() chan zk.State {
	ch := make(chan zk.State, 8)
	s.mu.Lock()
	s.subs = append(s.subs, ch)
	s.mu.Unlock()
	return ch
}

// Timeout returns the session timeout in force: the one the server granted
// when known, else the one asked for.
func (s *Session) Timeout() time.Duration {
	if ms := s.negotiated.Load(); ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return s.asked
}

// LastHeard returns when a byte last arrived from the server.
func (s *Session) LastHeard() time.Time { return time.Unix(0, s.lastHeard.Load()) }

// Client returns the layer every request of the session goes through,
// for package fleet, which keeps the fleet's state on the same session.
// It gives no raw connection: permission goes through this package's
// handles.
func (s *Session) Client() *znode.Client { return s.conn }

// Requests returns how many requests the session sent, fleet's on it
// included; tests use it to guard the number of round trips per run.
func (s *Session) Requests() int64 { return s.conn.Requests() }

// Close ends the session. The server deletes every ephemeral node of the
// session at once, which releases the lock and any leases exactly: only
// nodes of this session, never another holder's.
//
// Without a connection the close request cannot reach the server, and the
// client library would wait a second for its reply: Close then returns at
// once, leaving the library to give up in the background. The server
// expires the session, and deletes its nodes, after the session timeout.
func (s *Session) Close() {
	s.stopWaits()
	if !s.Connected() {
		go s.conn.Close()
		return
	}
	s.conn.Close()
}

// Connected reports whether the session is connected to a server now.
func (s *Session) Connected() bool { return s.conn.State() == zk.StateHasSession }

// zkLogger routes go-zookeeper's logging into zerolog at debug level: the
// library logs every connect, which must never reach cron's mail.
type zkLogger struct{ log zerolog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug().Str("component", "zk").Msgf(format, args...)
}

func (s *Session) unsubscribe(ch chan zk.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.subs {
		if c == ch {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			return
		}
	}
}
