package faultproxy_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// sessionTimeout is what the clients ask for; the test server grants it (its
// bounds are 1s..60s). The go-zookeeper client declares the connection dead
// after 2/3 of it without a frame (recvTimeout) and pings every 1/3.
const sessionTimeout = 4 * time.Second

// stateLog records a client's session state changes with their times.
type stateLog struct {
	mu      sync.Mutex
	changed chan struct{}
	events  []stateEvent
}

type stateEvent struct {
	at    time.Time
	state zk.State
}

func (l *stateLog) record(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, stateEvent{time.Now(), ev.State})
	close(l.changed)
	l.changed = make(chan struct{})
}

// waitFor returns the time of the first change to state at or after since,
// failing the test if none comes within d.
func (l *stateLog) waitFor(t *testing.T, state zk.State, since time.Time, d time.Duration) time.Time {
	t.Helper()
	deadline := time.After(d)
	for {
		l.mu.Lock()
		for _, e := range l.events {
			if e.state == state && !e.at.Before(since) {
				l.mu.Unlock()
				return e.at
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %v within %v (states: %v)", state, d, l.states())
		}
	}
}

// saw reports whether state occurred in [from, to).
func (l *stateLog) saw(state zk.State, from, to time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.state == state && !e.at.Before(from) && e.at.Before(to) {
			return true
		}
	}
	return false
}

func (l *stateLog) states() []zk.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []zk.State
	for _, e := range l.events {
		s = append(s, e.state)
	}
	return s
}

// connect opens a session to addr and waits (at most 20s) until it has one.
func connect(t *testing.T, addr string) (*zk.Conn, *stateLog) {
	t.Helper()
	log := &stateLog{changed: make(chan struct{})}
	conn, _, err := zk.Connect([]string{addr}, sessionTimeout,
		zk.WithLogger(zktest.Quiet{}), zk.WithEventCallback(log.record))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	log.waitFor(t, zk.StateHasSession, time.Time{}, 20*time.Second)
	return conn, log
}

// setup starts a ZooKeeper server and a proxy in front of it and returns a
// session through the proxy and one straight to the server.
func setup(t *testing.T) (*faultproxy.Proxy, *zk.Conn, *stateLog, *zk.Conn) {
	t.Helper()
	srv := zktest.Start(t)
	p, err := faultproxy.New([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	viaProxy, log := connect(t, p.Addr())
	direct, _ := connect(t, srv.Addr)
	return p, viaProxy, log, direct
}

func TestZKPass(t *testing.T) {
	p, c, _, direct := setup(t)
	if _, err := c.Create("/pass", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create through proxy: %v", err)
	}
	data, _, err := c.Get("/pass")
	if err != nil || string(data) != "hello" {
		t.Fatalf("get through proxy = %q, %v", data, err)
	}
	if data, _, err := direct.Get("/pass"); err != nil || string(data) != "hello" {
		t.Fatalf("get direct = %q, %v", data, err)
	}
	if st := p.Stats(); st.BytesToServer == 0 || st.BytesToClient == 0 || st.Accepted != 1 {
		t.Errorf("stats %+v: want traffic on one connection", st)
	}
}

// TestZKShortBlackholeUnnoticed: a partition shorter than the receive timeout
// must not disturb the session (no false kills). The client's deadline (2/3 of
// the session timeout) runs from the last frame it received, which may be a
// ping reply up to 1/3 of the timeout old: without the Get just before the
// partition, only partitions under 1/3 of the timeout are sure to go
// unnoticed.
func TestZKShortBlackholeUnnoticed(t *testing.T) {
	p, c, log, _ := setup(t)
	if _, _, err := c.Get("/"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.SetMode(faultproxy.Blackhole)
	time.Sleep(sessionTimeout / 4)
	p.SetMode(faultproxy.Pass)
	if _, err := c.Create("/after-short", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create after a short partition: %v", err)
	}
	if log.saw(zk.StateDisconnected, start, time.Now()) {
		t.Errorf("client disconnected during a %v partition (states %v)", sessionTimeout/4, log.states())
	}
}

// TestZKBlackholeExpires: the client notices the partition after ~2/3 of the
// session timeout, the server expires the session, and the client learns it
// when the partition heals.
func TestZKBlackholeExpires(t *testing.T) {
	p, c, log, direct := setup(t)
	if _, err := c.Create("/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.SetMode(faultproxy.Blackhole)
	disc := log.waitFor(t, zk.StateDisconnected, start, 2*sessionTimeout)
	// The client should give up after its receive timeout (2/3 of the session
	// timeout), not at once and not after the session is already gone.
	d := disc.Sub(start)
	t.Logf("client disconnected %v into the partition", d)
	if d < sessionTimeout/3 || d > sessionTimeout+time.Second {
		t.Errorf("disconnected after %v, want about 2/3 of %v", d, sessionTimeout)
	}
	// The server counts the timeout from the last frame it got, which may be
	// a ping up to 1/3 of the timeout before the partition began.
	waitGone(t, direct, "/eph", start.Add(sessionTimeout/2))
	p.SetMode(faultproxy.Pass)
	log.waitFor(t, zk.StateExpired, start, 20*time.Second)
}

// waitGone waits (at most 15s) until path is gone, as seen by direct, and
// checks that it was not gone before notBefore (the session outlived a
// partition shorter than its timeout).
func waitGone(t *testing.T, direct *zk.Conn, path string, notBefore time.Time) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ok, _, err := direct.Exists(path)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if time.Now().Before(notBefore) {
				t.Fatalf("%s vanished before the session timeout", path)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s still exists 15s into the partition: session not expired", path)
}

// TestZKResetDisconnects: Reset drops the client at once; once it ends the
// client gets its session back.
func TestZKResetDisconnects(t *testing.T) {
	p, c, log, _ := setup(t)
	sid := c.SessionID()
	start := time.Now()
	p.SetMode(faultproxy.Reset)
	disc := log.waitFor(t, zk.StateDisconnected, start, sessionTimeout)
	// Well before the receive timeout (2/3 of the session timeout), so it was
	// the reset and not silence that the client noticed.
	if d := disc.Sub(start); d > sessionTimeout/3 {
		t.Errorf("disconnected %v after the reset, want at once", d)
	}
	p.SetMode(faultproxy.Pass)
	log.waitFor(t, zk.StateHasSession, disc, 10*time.Second)
	if c.SessionID() != sid {
		t.Errorf("session changed from %x to %x across a short reset", sid, c.SessionID())
	}
	if st := p.Stats(); st.Resets == 0 {
		t.Errorf("stats %+v: want resets counted", st)
	}
}

// TestZKDropCreateReply: the reply to a create is lost: the node exists on
// the server but the client got a connection error, and its session survives.
func TestZKDropCreateReply(t *testing.T) {
	p, c, _, direct := setup(t)
	if _, _, err := c.Get("/"); err != nil { // traffic that must not trigger the drop
		t.Fatal(err)
	}
	p.DropNextReplyTo(faultproxy.OpCreate, faultproxy.OpCreate2)
	if _, _, err := c.Get("/"); err != nil {
		t.Fatalf("get while armed for create: %v", err)
	}
	_, err := c.Create("/lost-reply", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if !errors.Is(err, zk.ErrConnectionClosed) {
		t.Fatalf("create with its reply dropped: error %v, want ErrConnectionClosed", err)
	}
	if ok, _, err := direct.Exists("/lost-reply"); err != nil || !ok {
		t.Fatalf("node not on the server after the lost reply: exists=%v err=%v", ok, err)
	}
	if st := p.Stats(); st.RepliesDropped != 1 || p.Mode() != faultproxy.Pass {
		t.Errorf("stats %+v mode %v: want one reply dropped, back to pass", st, p.Mode())
	}
	// The client reconnects with the same session: the node is its own.
	ok, stat, err := c.Exists("/lost-reply")
	if err != nil || !ok {
		t.Fatalf("after reconnect: exists=%v err=%v", ok, err)
	}
	if stat.EphemeralOwner != c.SessionID() {
		t.Errorf("node owned by session %x, want the client's %x", stat.EphemeralOwner, c.SessionID())
	}
}

// TestZKObserve checks that an observer sees each request with its opcode
// and paths (a multi's one by one), and each reply matched to its request.
func TestZKObserve(t *testing.T) {
	p, c, _, _ := setup(t)
	var mu sync.Mutex
	var evs []faultproxy.Event
	p.Observe(func(ev faultproxy.Event) {
		mu.Lock()
		evs = append(evs, ev)
		mu.Unlock()
	})
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/obs", []byte("x"), 0, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Multi(
		&zk.CreateRequest{Path: "/obs/a", Data: []byte("data"), Acl: acl, Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: "/obs", Data: []byte("y"), Version: -1},
		&zk.CheckVersionRequest{Path: "/obs", Version: 1},
		&zk.DeleteRequest{Path: "/obs/a", Version: -1},
	); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get("/obs"); err != nil {
		t.Fatal(err)
	}
	p.Observe(nil)
	mu.Lock()
	defer mu.Unlock()
	// Each event as "request|reply OPNAME [op path ...]".
	var got []string
	for _, ev := range evs {
		if ev.Op == faultproxy.OpPing {
			continue
		}
		if ev.Conn != 1 {
			t.Errorf("event on connection %d, want 1 (the proxied session's)", ev.Conn)
		}
		line := "request " + faultproxy.OpName(ev.Op)
		if ev.Reply {
			line = "reply " + faultproxy.OpName(ev.Op)
		}
		for _, o := range ev.Ops {
			line += " " + faultproxy.OpName(o.Op) + " " + o.Path
		}
		got = append(got, line)
	}
	want := []string{
		"request create create /obs", "reply create",
		"request multi create /obs/a setData /obs check /obs delete /obs/a", "reply multi",
		"request getData getData /obs", "reply getData",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("observed\n %q\nwant\n %q", got, want)
	}
}
