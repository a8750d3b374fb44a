package zktest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Defaults used for the zero fields of Options.
const (
	// DefaultTickTime is ZooKeeper's basic time unit. 500ms keeps elections and
	// failure detection (initLimit/syncLimit are counted in ticks) fast in
	// tests without making a loaded 2-core machine miss heartbeats.
	DefaultTickTime = 500 * time.Millisecond
	// DefaultMinSessionTimeout lets clients ask for sessions as short as 1s, so
	// session-expiry tests run quickly.
	DefaultMinSessionTimeout = time.Second
	// DefaultMaxSessionTimeout lets clients get up to 60s sessions instead of
	// ZooKeeper's implicit cap of 20 ticks (10s at the default tick).
	DefaultMaxSessionTimeout = 60 * time.Second
)

// Options configures a server or ensemble. The zero value selects the
// defaults above and logs to zk.log in the server directory.
type Options struct {
	// TickTime is zoo.cfg's tickTime; zero means DefaultTickTime. Must be a
	// whole number of milliseconds.
	TickTime time.Duration
	// MinSessionTimeout and MaxSessionTimeout bound the session timeouts the
	// server grants (zoo.cfg's minSessionTimeout/maxSessionTimeout); zero means
	// DefaultMinSessionTimeout/DefaultMaxSessionTimeout.
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// ExtraConfig holds extra zoo.cfg lines, appended after the generated ones
	// (ZooKeeper keeps the last value of a repeated key), e.g. for TLS:
	// "secureClientPort=...". Lines must not contain newlines.
	ExtraConfig []string
	// LocalSessions makes the servers create and close a session locally,
	// with no transaction, until it creates an ephemeral node, which
	// upgrades it to a global session (zoo.cfg's localSessionsEnabled and
	// localSessionsUpgradingEnabled). ZooKeeper honours them in quorum
	// mode only, so a single server then runs as a quorum of one
	// (standaloneEnabled=false, one server.1 line, a myid): it reports
	// "leader", not "standalone".
	LocalSessions bool
	// StartTimeout, if set, replaces the 30s bound of Server.Start on a
	// restart: a harness that loads the machine heavily (the soak) gives a
	// JVM longer before it counts as failed and is killed.
	StartTimeout time.Duration
	// Stdout, if set, also receives the JVM's stdout and stderr. The output
	// always goes to zk.log in the server directory too, so that a failed start
	// can report the log's tail.
	Stdout io.Writer
}

// withDefaults returns o with zero fields replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.TickTime == 0 {
		o.TickTime = DefaultTickTime
	}
	if o.MinSessionTimeout == 0 {
		o.MinSessionTimeout = DefaultMinSessionTimeout
	}
	if o.MaxSessionTimeout == 0 {
		o.MaxSessionTimeout = DefaultMaxSessionTimeout
	}
	return o
}

// validate reports the first bad field of o (after withDefaults).
func (o Options) validate() error {
	for name, d := range map[string]time.Duration{
		"TickTime": o.TickTime, "MinSessionTimeout": o.MinSessionTimeout, "MaxSessionTimeout": o.MaxSessionTimeout,
	} {
		if d < time.Millisecond || d%time.Millisecond != 0 {
			return fmt.Errorf("%w: %s=%v: want a positive whole number of milliseconds", ErrBadOptions, name, d)
		}
	}
	if o.MinSessionTimeout > o.MaxSessionTimeout {
		return fmt.Errorf("%w: MinSessionTimeout=%v is above MaxSessionTimeout=%v", ErrBadOptions, o.MinSessionTimeout, o.MaxSessionTimeout)
	}
	for i, line := range o.ExtraConfig {
		if strings.ContainsAny(line, "\r\n") {
			return fmt.Errorf("%w: ExtraConfig[%d]=%q: contains a newline", ErrBadOptions, i, line)
		}
	}
	return nil
}

// quorum says whether a server of peers runs in quorum mode (server.N
// lines, a myid): every member of an ensemble, and a single server with
// local sessions, which only quorum mode honours.
func quorum(o Options, peers []member) bool {
	return len(peers) > 1 || o.LocalSessions && len(peers) == 1
}

// member is one server's identity and ports within an ensemble.
type member struct {
	id           int // myid, 1..n
	clientPort   int
	peerPort     int // quorum traffic from followers to the leader
	electionPort int // leader election
}

// renderConfig returns the zoo.cfg text for self. peers lists every member of
// the ensemble (including self); with fewer than two the server runs
// standalone, unless o.LocalSessions makes it a quorum of one.
func renderConfig(o Options, dataDir string, self member, peers []member) string {
	lines := []string{
		fmt.Sprintf("tickTime=%d", o.TickTime.Milliseconds()),
		"initLimit=10",
		"syncLimit=5",
		fmt.Sprintf("minSessionTimeout=%d", o.MinSessionTimeout.Milliseconds()),
		fmt.Sprintf("maxSessionTimeout=%d", o.MaxSessionTimeout.Milliseconds()),
		"dataDir=" + dataDir,
		fmt.Sprintf("clientPort=%d", self.clientPort),
		"clientPortAddress=127.0.0.1",
		// No Jetty admin server: it would need yet another free port.
		"admin.enableServer=false",
		"4lw.commands.whitelist=*",
		"maxClientCnxns=0",
		// The production setting (README): the JVM's default listen backlog
		// is 50, and a herd or a burst of more connects than that at one
		// instant overflows it; the kernel then drops the overflow, and
		// each of those clients waits a whole second for its retransmit.
		// Herds, bursts and fleets would measure that second, not us.
		"clientPortListenBacklog=4096",
		// Keep disk use low: preallocate 1MB txn-log chunks (the value is in KB),
		// snapshot (and roll the log) every 10000 transactions.
		"preAllocSize=1024",
		"snapCount=10000",
		// Tests only: no fsync. Writes still reach the page cache before a
		// client sees success, so data survives a killed JVM, not a host crash.
		"forceSync=no",
	}
	if quorum(o, peers) {
		for _, p := range peers {
			lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", p.id, p.peerPort, p.electionPort))
		}
	}
	if len(peers) == 1 && quorum(o, peers) {
		lines = append(lines, "standaloneEnabled=false")
	}
	if o.LocalSessions {
		lines = append(lines, "localSessionsEnabled=true", "localSessionsUpgradingEnabled=true")
	}
	lines = append(lines, o.ExtraConfig...)
	return strings.Join(lines, "\n") + "\n"
}
