package main

import (
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/zktest"
)

// breakdownRuns is how many runs of each kind the breakdown times.
const breakdownRuns = 60

// runTrace is what the proxy saw of one switchman run, with the run's
// start and end as its parent saw them.
type runTrace struct {
	start, end time.Time
	events     []faultproxy.Event // of the run's own connection, in order
}

// tracer collects the proxy's events per connection.
type tracer struct {
	mu     sync.Mutex
	byConn map[int64][]faultproxy.Event
}

func (t *tracer) record(ev faultproxy.Event) {
	t.mu.Lock()
	t.byConn[ev.Conn] = append(t.byConn[ev.Conn], ev)
	t.mu.Unlock()
}

// take returns and forgets the events of every connection so far: a run's
// own, as each run is alone on the proxy.
func (t *tracer) take() []faultproxy.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var all []faultproxy.Event
	for _, evs := range t.byConn {
		all = append(all, evs...)
	}
	clear(t.byConn)
	slices.SortStableFunc(all, func(a, b faultproxy.Event) int { return a.At.Compare(b.At) })
	return all
}

// phases splits a locked run's wall time at the frames that mark its
// steps. ok is false when a marker is missing (a run that did not take the
// lock).
type phases struct {
	startup, session, checks, lock, job, finish, closing, exit time.Duration
}

// phasesOf finds the markers: the handshake, the lock's create (the first
// write request), the finish record (the next write request), the close.
func phasesOf(tr runTrace) (phases, bool) {
	var hsReq, hsRep, lockReq, lockRep, finReq, finRep, closeReq, closeRep time.Time
	reply := map[int32]time.Time{}
	for _, ev := range tr.events {
		if ev.Reply && ev.Op != faultproxy.OpConnect {
			reply[ev.Xid] = ev.At
		}
	}
	for _, ev := range tr.events {
		switch {
		case ev.Op == faultproxy.OpConnect && !ev.Reply && hsReq.IsZero():
			hsReq = ev.At
		case ev.Op == faultproxy.OpConnect && ev.Reply && hsRep.IsZero():
			hsRep = ev.At
		case ev.Reply:
		case ev.Op == faultproxy.OpClose:
			closeReq, closeRep = ev.At, reply[ev.Xid]
		case faultproxy.IsWrite(ev.Op) && lockReq.IsZero():
			lockReq, lockRep = ev.At, reply[ev.Xid]
		case faultproxy.IsWrite(ev.Op) && finReq.IsZero():
			finReq, finRep = ev.At, reply[ev.Xid]
		}
	}
	for _, t := range []time.Time{hsReq, hsRep, lockReq, lockRep, finReq, finRep, closeReq, closeRep} {
		if t.IsZero() {
			return phases{}, false
		}
	}
	return phases{
		startup: hsReq.Sub(tr.start), session: hsRep.Sub(hsReq), checks: lockReq.Sub(hsRep),
		lock: lockRep.Sub(lockReq), job: finReq.Sub(lockRep), finish: finRep.Sub(finReq),
		closing: closeRep.Sub(closeReq), exit: tr.end.Sub(closeRep),
	}, true
}

// kindOf names what a znode path under the prefix is for, by its first
// component: the request counts are reported by it.
func kindOf(path string) string {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "outside the prefix"
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest == "" {
		return "group data (the prefix znode)"
	}
	top, _, _ := strings.Cut(rest, "/")
	return top + "/"
}

// requestKinds counts a run's operations by the subtree they touch and
// their opcode: a multi counts one per operation it carries; a ping, the
// handshake or a close by its name.
func requestKinds(evs []faultproxy.Event) map[string]int {
	n := map[string]int{}
	for _, ev := range evs {
		switch {
		case ev.Reply:
		case ev.Op == faultproxy.OpConnect:
			n["session handshake"]++
		case ev.Op == faultproxy.OpPing:
			n["ping"]++
		case ev.Op == faultproxy.OpClose:
			n["session close"]++
		case len(ev.Ops) == 0:
			n["other (op "+strconv.Itoa(int(ev.Op))+")"]++
		default:
			in := ""
			if ev.Op == faultproxy.OpMulti {
				in = " in a multi"
			}
			for _, o := range ev.Ops {
				n[kindOf(o.Path)+" "+faultproxy.OpName(o.Op)+in]++
			}
		}
	}
	return n
}

// breakdownSection times the steps of a locked run from the ZooKeeper
// frames it sends (through a proxy that timestamps them), counts its
// operations by what they touch, and prices the features a run may add:
// the group check and the shim.
func breakdownSection(f *fixture, rep *report) section {
	s := measured("1d. Where a locked run's time and requests go (frames timestamped by a proxy in front of ZooKeeper)",
		"breakdown", f.breakdownRows)
	rep.Notes = append(rep.Notes, fmt.Sprintf("Breakdown: %d runs of each kind, alternating, through a TCP proxy (internal/faultproxy) "+
		"that timestamps every frame; the proxy adds a hop to each round trip, so these runs are slower than section 1's. "+
		"Phases are cut at the session handshake, the lock's create (the run's first write), the finish record (its second) "+
		"and the session's close. Operations are counted one per znode a request names (a multi's each), grouped by the "+
		"prefix's subtree; a run's heartbeat (one write per host every 10 minutes) is taken in the warm-up, so it is not counted here.",
		breakdownRuns))
	return s
}

func (f *fixture) breakdownRows() ([]row, error) {
	p, err := faultproxy.New([]string{f.srv.Addr})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	tr := &tracer{byConn: map[int64][]faultproxy.Event{}}
	p.Observe(tr.record)
	defer p.Observe(nil)
	proxied := zktest.SwitchmanConfig{Hosts: p.Addr(), Prefix: prefix, SessionTimeout: zktest.Seconds(defaultSession)}
	cfg := filepath.Join(f.dir, "proxied.yaml")
	if err := proxied.Write(cfg); err != nil {
		return nil, err
	}
	// The same without the tail of a failing run's output for the history:
	// the child then writes to switchman's stdout and stderr itself,
	// rather than through pipes that switchman copies.
	proxied.Extra = []string{"failure_output: 0"}
	quietCfg := filepath.Join(f.dir, "proxied-no-output-tail.yaml")
	if err := proxied.Write(quietCfg); err != nil {
		return nil, err
	}
	plain := []string{f.bin, "-c", cfg, "--lockname", "breakdown", "--", "/bin/true"}
	grouped := []string{f.bin, "-c", cfg, "-g", group, "--hostname", benchHost, "--lockname", "breakdown-g", "--", "/bin/true"}
	quiet := []string{f.bin, "-c", quietCfg, "--lockname", "breakdown-q", "--", "/bin/true"}
	runOnce := func(argv []string) (runTrace, error) {
		tr.take()
		cmd := exec.Command(argv[0], argv[1:]...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		end := time.Now()
		if err != nil || len(out) > 0 {
			return runTrace{}, fmt.Errorf("%v: %v: %q", argv, err, out)
		}
		// The proxy may still be passing the last reply on.
		time.Sleep(2 * time.Millisecond)
		return runTrace{start: start, end: end, events: tr.take()}, nil
	}
	for range 3 { // warm-up: layout, record nodes, heartbeat
		for _, a := range [][]string{plain, grouped, quiet} {
			if _, err := runOnce(a); err != nil {
				return nil, err
			}
		}
	}
	var ph []phases
	var wallPlain, wallGrouped, wallQuiet []time.Duration
	kinds := map[string][]float64{}
	kindsGrouped := map[string][]float64{}
	for i := range breakdownRuns {
		a, err := runOnce(plain)
		if err != nil {
			return nil, err
		}
		b, err := runOnce(grouped)
		if err != nil {
			return nil, err
		}
		q, err := runOnce(quiet)
		if err != nil {
			return nil, err
		}
		p, ok := phasesOf(a)
		if !ok {
			return nil, fmt.Errorf("run %d: no lock create, finish record or close seen: %d frames", i, len(a.events))
		}
		ph = append(ph, p)
		wallPlain = append(wallPlain, a.end.Sub(a.start))
		wallGrouped = append(wallGrouped, b.end.Sub(b.start))
		wallQuiet = append(wallQuiet, q.end.Sub(q.start))
		addCounts(kinds, requestKinds(a.events), i)
		addCounts(kindsGrouped, requestKinds(b.events), i)
	}
	pick := func(get func(phases) time.Duration) summary {
		var d []time.Duration
		for _, p := range ph {
			d = append(d, get(p))
		}
		return summarize(ms(d))
	}
	rows := []row{
		{Name: "*phase:* exec to the session handshake (Go runtime, package init, flags, config, FQDN, logger)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.startup })},
		{Name: "*phase:* session handshake (ZooKeeper creates the session)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.session })},
		{Name: "*phase:* session to the lock's create (the pipelined checks: pause and halt markers, lock peek, last record, history)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.checks })},
		{Name: "*phase:* lock create, the run record's start riding in it", Unit: "ms", S: pick(func(p phases) time.Duration { return p.lock })},
		{Name: "*phase:* lock taken to the finish record (guard, shim, `/bin/true`, reaping, the record)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.job })},
		{Name: "*phase:* finish record write", Unit: "ms", S: pick(func(p phases) time.Duration { return p.finish })},
		{Name: "*phase:* session close (releases the lock: it is ephemeral)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.closing })},
		{Name: "*phase:* close to the process reaped (exit)", Unit: "ms", S: pick(func(p phases) time.Duration { return p.exit })},
		{Name: "whole run through the proxy", Unit: "ms", S: summarize(ms(wallPlain))},
		{Name: "feature: `--group` (the group data read with a watch, and its check) — grouped − plain run, per round", Unit: "ms",
			S: summarize(ms(minus(wallGrouped, wallPlain)))},
		{Name: "feature: the tail of a failing run's output kept for its history (stdout and stderr piped through switchman; failure_output, default 4096) — plain − `failure_output: 0` run, per round", Unit: "ms",
			S: summarize(ms(minus(wallPlain, wallQuiet)))},
	}
	rows = append(rows, kindRows("operations per locked run", kinds)...)
	rows = append(rows, kindRows("operations per locked run with `--group`", kindsGrouped)...)
	return rows, nil
}

// addCounts appends run i's counts to the per-kind samples, with zeros for
// kinds a run did not touch.
func addCounts(into map[string][]float64, n map[string]int, i int) {
	for k := range n {
		if _, ok := into[k]; !ok {
			into[k] = make([]float64, i)
		}
	}
	for k := range into {
		into[k] = append(into[k], float64(n[k]))
	}
}

// kindRows is one row per kind of operation, in name order.
func kindRows(what string, kinds map[string][]float64) []row {
	var rows []row
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		rows = append(rows, row{Name: what + ": " + k, Unit: "ops", S: summarize(kinds[k])})
	}
	return rows
}
