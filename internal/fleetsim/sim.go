package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// voters is the ensemble's quorum size: the usual production ensemble.
const voters = 3

// sampleEvery is how often the servers' gauges are read during a tick:
// often enough to catch a queue of a second or two, rarely enough that
// the reads are a small share of the requests.
const sampleEvery = 100 * time.Millisecond

// runTimeout bounds one simulated run: far above any decision time worth
// reporting, so that a stuck run shows as a failure instead of hanging
// the simulator.
const runTimeout = 2 * time.Minute

// localSessionLines are the zoo.cfg lines of local sessions: a session is
// created and closed by the server it connects to, without a quorum
// transaction, and becomes global (one transaction) when it creates an
// ephemeral node.
var localSessionLines = []string{"localSessionsEnabled=true", "localSessionsUpgradingEnabled=true"}

// setup is one ensemble the fleets are fired at.
type setup struct {
	Local     bool
	Observers int
	// MaxCnxns, when positive, is each server's maxClientCnxns: the
	// refused burst's ensemble (see burstSetup).
	MaxCnxns int
}

// name says what the setup is, for the tables.
func (s setup) name() string {
	n := "global sessions"
	if s.Local {
		n = "local sessions"
	}
	if s.Observers > 0 {
		n += fmt.Sprintf(", %d observers", s.Observers)
	}
	if s.MaxCnxns > 0 {
		n += fmt.Sprintf(", maxClientCnxns=%d", s.MaxCnxns)
	}
	return n
}

// zkOptions are the servers' settings for s.
func (s setup) zkOptions() zktest.Options {
	zo := zktest.Options{}
	if s.Local {
		zo.ExtraConfig = append(zo.ExtraConfig, localSessionLines...)
	}
	if s.MaxCnxns > 0 {
		// The last value of a key wins: this replaces zktest's
		// maxClientCnxns=0. Every run connects from 127.0.0.1, so this is
		// each server's limit for the whole fleet.
		zo.ExtraConfig = append(zo.ExtraConfig, fmt.Sprintf("maxClientCnxns=%d", s.MaxCnxns))
	}
	return zo
}

// setupsOf reads -sessions and -observers: one setup per session kind,
// and one with local sessions and the observers when there are any.
func setupsOf(modes string, observers int) ([]setup, error) {
	if observers < 0 {
		return nil, fmt.Errorf("-observers %d: want 0 or more", observers)
	}
	var out []setup
	for m := range strings.SplitSeq(modes, ",") {
		switch strings.TrimSpace(m) {
		case "global":
			out = append(out, setup{})
		case "local":
			out = append(out, setup{Local: true})
		default:
			return nil, fmt.Errorf("-sessions %q: want global, local or both, comma-separated", modes)
		}
	}
	if observers > 0 {
		out = append(out, setup{Local: true, Observers: observers})
	}
	return out, nil
}

// setupResult is everything measured on one setup.
type setupResult struct {
	Setup     setup
	ZooKeeper string
	// Check is the same-path check (nil without a binary).
	Check []kindCost
	Ticks []tickResult
	// Splayed is the largest fleet's tick with -splay (none without).
	Splayed []tickResult
}

// tickResult is one fleet's measured tick.
type tickResult struct {
	Spec   spec
	Tally  tally
	Server totals // counts between just before the tick and after the last run
	Peaks  peaks
	// Wall is from the tick to the end of the last run.
	Wall time.Duration
	// ClientCPU is the CPU time of the process that ran the tick's runs.
	ClientCPU time.Duration
	// Txns counts the tick's transactions by type (txnType).
	Txns map[string]int
	// Options are how the tick's runs were fired.
	Options tickOptions
	// Outcomes are the runs' outcomes, kept for a traced tick only.
	Outcomes []outcome
}

// simulate starts the setup's ensemble, runs the same-path check and
// fires every fleet at it.
func simulate(ctx context.Context, s setup, fleets []spec, o options, dir string) (setupResult, error) {
	res := setupResult{Setup: s}
	e, err := zktest.StartEnsembleWithObservers(voters, s.Observers, s.zkOptions())
	if err != nil {
		return res, err
	}
	defer e.Close()
	c := newCluster(e, voters)
	res.ZooKeeper = versionOf(e.Servers[0].Addr)
	if o.Bin != "" {
		cfg, err := writeConfig(dir, c, checkPrefix)
		if err != nil {
			return res, err
		}
		if res.Check, err = samePath(ctx, c, o.Bin, cfg); err != nil {
			return res, fmt.Errorf("same-path check: %w", err)
		}
	}
	for i, f := range fleets {
		to := tickOptions{Trace: s.MaxCnxns > 0}
		var splay time.Duration
		if i == len(fleets)-1 && s.Local && s.Observers == 0 && s.MaxCnxns == 0 {
			// The largest fleet's tick, spread, on the setup the README
			// recommends: one such tick lasts the whole splay.
			splay = o.Splay
		}
		ts, err := fireFleet(ctx, c, f, o, dir, to, splay)
		for _, t := range ts {
			if t.Options.Splay > 0 {
				res.Splayed = append(res.Splayed, t)
			} else {
				res.Ticks = append(res.Ticks, t)
			}
		}
		if err != nil {
			return res, fmt.Errorf("fleet %s: %w", f, err)
		}
	}
	return res, nil
}

// versionOf returns the server's version from mntr ("3.8.0"), or "" when
// it does not say.
func versionOf(addr string) string {
	out, err := zktest.FourLetter(addr, "mntr", fourLetterTimeout)
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(line, "zk_version\t"); ok {
			return strings.TrimSpace(strings.SplitN(v, "-", 2)[0])
		}
	}
	return ""
}

// writeConfig writes a switchman config pointing at c's client servers
// with prefix, switchman's defaults for everything else.
func writeConfig(dir string, c *cluster, prefix string) (string, error) {
	p := filepath.Join(dir, strings.TrimPrefix(prefix, "/")+".yaml")
	return p, zktest.SwitchmanConfig{Hosts: strings.Join(c.clients, ","), Prefix: prefix}.Write(p)
}

// fireFleet prepares fleet f under a prefix of its own, fires one
// warm-up tick (each host's first run writes its heartbeat and each lock
// name's first run creates its record nodes, which a fleet's every
// minute does not) and then repeat measured ticks fired with to; then,
// when splay is positive, one more with every line's --splay.
func fireFleet(ctx context.Context, c *cluster, f spec, o options, dir string, to tickOptions, splay time.Duration) ([]tickResult, error) {
	prefix := fmt.Sprintf("/fleet-%dx%d", f.Hosts, f.Jobs)
	if err := createPrefix(c, prefix, f); err != nil {
		return nil, err
	}
	cfg, err := writeConfig(dir, c, prefix)
	if err != nil {
		return nil, err
	}
	if _, err := fireWorker(ctx, f, cfg, o.Child, dir, to); err != nil {
		return nil, err
	}
	time.Sleep(o.Settle)
	ticks := make([]tickOptions, o.Repeat, o.Repeat+1)
	for i := range ticks {
		ticks[i] = to
	}
	if splay > 0 {
		ticks = append(ticks, tickOptions{Splay: splay, Trace: to.Trace})
	}
	var out []tickResult
	for _, tt := range ticks {
		t, err := measureTick(ctx, c, f, cfg, o, dir, tt)
		if err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

// measureTick fires one tick of fleet f between two readings of the
// ensemble.
func measureTick(ctx context.Context, c *cluster, f spec, cfg string, o options, dir string, to tickOptions) (tickResult, error) {
	res := tickResult{Spec: f, Options: to}
	before, err := c.read()
	if err != nil {
		return res, err
	}
	stop := c.watch(sampleEvery)
	tr, err := fireWorker(ctx, f, cfg, o.Child, dir, to)
	res.Peaks = stop()
	if err != nil {
		return res, err
	}
	res.Wall, res.ClientCPU = tr.Wall, tr.CPU
	time.Sleep(o.Settle)
	after, err := c.read()
	if err != nil {
		return res, err
	}
	res.Server, res.Tally = after.since(before), tallyOf(tr.Outcomes)
	if to.Trace {
		res.Outcomes = tr.Outcomes
	}
	res.Txns, err = c.txnsBetween(before.Zxid, after.Zxid)
	return res, err
}

// txnsBetween counts the leader's transactions in (from, to] by type
// (see txnType).
func (c *cluster) txnsBetween(from, to int64) (map[string]int, error) {
	l, err := c.e.Leader()
	if err != nil {
		return nil, err
	}
	txns, err := l.Transactions(from, to)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, t := range txns {
		out[txnType(t)]++
	}
	return out, nil
}

// Transaction types the tick table tells apart.
const (
	txnSessionCreate = "session create"
	txnSessionClose  = "session close"
	txnMulti         = "multi"
	txnFailedMulti   = "failed multi"
	txnOther         = "other"
)

// txnTypes are the columns of the transactions table, in order.
var txnTypes = []string{txnSessionCreate, txnSessionClose, txnMulti, txnFailedMulti, txnOther}

// txnType classifies a transaction: a session's create (a global
// session's, or a local one's upgrade) or close, a multi (the lock's
// create with the run's record, the finish record) and one that failed
// (a lock create that met the winner's node), or anything else.
func txnType(t zktest.Txn) string {
	switch {
	case t.Type == "createSession":
		return txnSessionCreate
	case t.Type == "closeSession":
		return txnSessionClose
	case t.Type == "multi" && strings.HasPrefix(t.Rest, "error:"):
		return txnFailedMulti
	case t.Type == "multi":
		return txnMulti
	}
	return txnOther
}

// createPrefix creates the fleet's prefix znode with its group data.
func createPrefix(c *cluster, prefix string, f spec) error {
	data, err := f.groupData()
	if err != nil {
		return err
	}
	admin, err := zktest.Connect(c.e.Addrs(), 30*time.Second, fourLetterTimeout)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.Create(prefix, data, 0, zk.WorldACL(zk.PermAll)); err != nil {
		return fmt.Errorf("create %s: %w", prefix, err)
	}
	return nil
}
