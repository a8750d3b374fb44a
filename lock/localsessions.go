package lock

import (
	"fmt"
	"strconv"
	"strings"
)

// LocalSessionsState is whether an ensemble creates sessions locally: a
// local session is created and closed by the server it connects to with
// no transaction, and becomes global (one transaction) only when it
// creates an ephemeral node, i.e. when a run takes a lock. A run that
// skips then costs the ensemble no write.
type LocalSessionsState int

// The states LocalSessions tells apart.
const (
	// LocalSessionsUnknown: the servers' answers do not tell (no mntr
	// or conf allowed, or a server that did not answer).
	LocalSessionsUnknown LocalSessionsState = iota
	// LocalSessionsOn: sessions are local until they create an
	// ephemeral node.
	LocalSessionsOn
	// LocalSessionsOff: every session is global, two transactions each.
	LocalSessionsOff
	// LocalSessionsNoUpgrade: sessions are local and never upgraded, so
	// a run's lock (an ephemeral node) cannot be created at all.
	LocalSessionsNoUpgrade
)

// ServerAnswers are one server's answers to the `conf` and `mntr`
// four-letter words ("" for one it did not give).
type ServerAnswers struct {
	Addr, Conf, Mntr string
}

// LocalSessions decides from every server's answers whether the ensemble
// creates sessions locally, and says why in a sentence. The caller holds
// a session of its own on one of the servers, which has created no
// ephemeral node: where local sessions are on, it is one, so a server
// that allows them counts at least one local session in mntr
// (zk_local_sessions, ZooKeeper 3.6 and later).
//
// Keys the server writes in conf (localSessionsEnabled,
// localSessionsUpgradingEnabled, which 3.8 does not list) decide first;
// then mntr: a standalone server never has local sessions (ZooKeeper
// honours them in quorum mode only), a server counting a local session
// has them, and when every server answered and none counts one, the
// caller's own session is global, so they are off.
func LocalSessions(servers []ServerAnswers) (LocalSessionsState, string) {
	for _, s := range servers {
		conf := keyValues(s.Conf, "=")
		switch {
		case conf["localSessionsEnabled"] == "true" && conf["localSessionsUpgradingEnabled"] == "false":
			return LocalSessionsNoUpgrade, s.Addr + " has localSessionsEnabled=true but localSessionsUpgradingEnabled=false: no session can take a lock"
		case conf["localSessionsEnabled"] == "true":
			return LocalSessionsOn, s.Addr + " has localSessionsEnabled=true"
		case conf["localSessionsEnabled"] == "false":
			return LocalSessionsOff, s.Addr + " has localSessionsEnabled=false"
		}
	}
	answered := 0
	for _, s := range servers {
		m := keyValues(s.Mntr, "\t")
		if m["zk_server_state"] == "standalone" {
			return LocalSessionsOff, s.Addr + " runs standalone, and ZooKeeper allows local sessions in quorum mode only"
		}
		n, err := strconv.Atoi(m["zk_local_sessions"])
		if err != nil {
			continue // no mntr, or a version before 3.6
		}
		answered++
		if n > 0 {
			return LocalSessionsOn, fmt.Sprintf("%s counts %d local sessions", s.Addr, n)
		}
	}
	switch {
	case answered == 0:
		return LocalSessionsUnknown, "no server allows mntr or conf (4lw.commands.whitelist)"
	case answered < len(servers):
		return LocalSessionsUnknown, fmt.Sprintf("%d of %d servers answered mntr, none counting a local session", answered, len(servers))
	}
	return LocalSessionsOff, "no server counts a local session, not even this session's"
}

// keyValues reads "key<sep>value" lines.
func keyValues(text, sep string) map[string]string {
	kv := map[string]string{}
	for l := range strings.SplitSeq(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), sep); ok {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv
}
