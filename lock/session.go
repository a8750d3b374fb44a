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
)

// Options configure a Session.
type Options struct {
	// Servers lists ZooKeeper servers as host:port.
	Servers []string
	// SessionTimeout is the session timeout asked of the server.
	SessionTimeout time.Duration
	// ConnectTimeout bounds the wait for the first session.
	ConnectTimeout time.Duration
	// Logger receives the client library's chatter at debug level and the
	// session's own events. The zero value logs nothing.
	Logger zerolog.Logger
	// Auth, when set, is "user:password" for ZooKeeper's digest scheme. It
	// is added to the session before any other request, and nodes this
	// session creates then get full rights for this identity and read for
	// everyone (see ACL); without it they are open to all.
	Auth string
	// TLS, when set, makes every connection TLS with these settings; an
	// empty ServerName means the host part of the server's address.
	TLS *tls.Config
}

// Session is one ZooKeeper session. It is safe for concurrent use.
type Session struct {
	conn *zk.Conn
	log  zerolog.Logger
	// asked is the timeout requested; negotiated, what the server granted
	// (sniffed from the connect response, in milliseconds).
	asked      time.Duration
	negotiated atomic.Int64
	// lastHeard is when a byte last arrived from the server (unix nanos).
	lastHeard atomic.Int64

	mu       sync.Mutex
	subs     []chan zk.State
	hasSess  chan struct{}
	hsOnce   sync.Once
	requests atomic.Int64

	tls        *tls.Config
	tlsTimeout time.Duration
	nodeACL    []zk.ACL
	// dialErr is the last connection failure, reported when no session
	// comes (a TLS handshake error says far more than a timeout).
	dialErr atomic.Value
}

// Dial connects to ZooKeeper and waits, at most ConnectTimeout, for a session.
// It returns an error wrapping ErrUnreachable when none is established.
func Dial(ctx context.Context, o Options) (*Session, error) {
	s := &Session{
		log:     o.Logger,
		asked:   o.SessionTimeout,
		hasSess: make(chan struct{}),
		tls:     o.TLS,
		// The library bounds each dial by a fixed second; a TLS handshake
		// with a busy or cold JVM can take longer, so it gets the whole
		// connect budget, which Dial's own timer still bounds.
		tlsTimeout: max(o.ConnectTimeout, time.Second),
		nodeACL:    nodeACL(o.Auth != ""),
	}
	conn, _, err := zk.Connect(o.Servers, o.SessionTimeout,
		zk.WithLogger(zkLogger{o.Logger}),
		zk.WithDialer(s.dial),
		zk.WithEventCallback(s.onEvent),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	s.conn = conn
	timer := time.NewTimer(o.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-s.hasSess:
		if err = s.addAuth(o.Auth); err == nil {
			return s, nil
		}
	case <-timer.C:
		err = fmt.Errorf("%w: no session with %s within %s%s", ErrUnreachable, strings.Join(o.Servers, ","), o.ConnectTimeout, s.lastDialErr())
	case <-ctx.Done():
		err = fmt.Errorf("%w: %v", ErrUnreachable, context.Cause(ctx))
	}
	conn.Close()
	return nil, err
}

// addAuth adds digest credentials to the session. It runs before any other
// request of ours; the client library re-adds them after a reconnect.
// ZooKeeper accepts any digest credentials here: a wrong password shows as
// NOAUTH on the first node whose ACL wants the right one.
func (s *Session) addAuth(auth string) error {
	if auth == "" {
		return nil
	}
	s.count()
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

// ACL returns the ACL for nodes this session creates (see Options.Auth).
func (s *Session) ACL() []zk.ACL { return s.nodeACL }

// dial opens a TCP (or TLS) connection and wraps it so that every byte read
// stamps lastHeard.
func (s *Session) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	var err error
	if s.tls == nil {
		c, err = net.DialTimeout(network, addr, timeout)
	} else {
		c, err = s.dialTLS(network, addr, max(timeout, s.tlsTimeout))
	}
	if err != nil {
		s.dialErr.Store(err.Error())
		return nil, err
	}
	return &heardConn{Conn: c, s: s}, nil
}

// dialTLS connects and completes the handshake within timeout, verifying
// the server's certificate against the configured roots.
func (s *Session) dialTLS(network, addr string, timeout time.Duration) (net.Conn, error) {
	cfg := s.tls.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = host
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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

// heardConn records when the server was last heard from, and sniffs the
// negotiated session timeout from the connect response, which go-zookeeper
// does not export: the response starts with length, protocol version and
// timeout, three big-endian int32s.
type heardConn struct {
	net.Conn
	s    *Session
	head [12]byte
	got  int
}

func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.lastHeard.Store(time.Now().UnixNano())
		if c.got < len(c.head) {
			c.got += copy(c.head[c.got:], p[:n])
			if c.got == len(c.head) {
				if ms := int32(binary.BigEndian.Uint32(c.head[8:])); ms > 0 {
					c.s.negotiated.Store(int64(ms))
				}
			}
		}
	}
	return n, err
}

func (s *Session) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.log.Debug().Str("state", ev.State.String()).Str("server", ev.Server).Msg("zookeeper session event")
	if ev.State == zk.StateHasSession {
		s.hsOnce.Do(func() { close(s.hasSess) })
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

// ID returns the current session id.
func (s *Session) ID() int64 { return s.conn.SessionID() }

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

// Conn returns the session's client connection, for package fleet, which
// keeps the fleet's state on the same session and counts its own requests.
// Nothing else may use it: permission goes through this package.
func (s *Session) Conn() *zk.Conn { return s.conn }

// Requests returns how many requests this package sent; tests use it to
// guard the number of round trips per run.
func (s *Session) Requests() int64 { return s.requests.Load() }

// Close ends the session. The server deletes every ephemeral node of the
// session at once, which releases the lock and any leases exactly: only
// nodes of this session, never another holder's.
func (s *Session) Close() {
	s.requests.Add(1)
	s.conn.Close()
}

func (s *Session) count() { s.requests.Add(1) }

// zkLogger routes go-zookeeper's logging into zerolog at debug level: the
// library logs every connect, which must never reach cron's mail.
type zkLogger struct{ log zerolog.Logger }

func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug().Str("component", "zk").Msgf(format, args...)
}

// isConnErr reports whether err means the request's fate is unknown because
// the connection dropped.
func isConnErr(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) ||
		errors.Is(err, zk.ErrSessionMoved) || errors.Is(err, zk.ErrClosing)
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

// retryConn runs op and, when the connection dropped under it, waits for
// the session to come back and runs it again, a few times: a server restart
// or leader election is routine and must not fail a cron run. A connection
// that stays lost ends as ErrUnreachable.
func (s *Session) retryConn(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !isConnErr(err) {
			return err
		}
		if attempt == 3 {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		if werr := s.waitSession(ctx); werr != nil {
			return werr
		}
	}
}
