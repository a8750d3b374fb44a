package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// fourLetterTimeout bounds one mntr or srvr: a server busy with a burst
// still answers four-letter words within a second or two on this machine.
const fourLetterTimeout = 10 * time.Second

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU
// times: 100 on every Linux architecture Go supports.
const clockTicks = 100

// counterKeys are mntr's counters a tick is judged by, summed over the
// servers: refused and dropped connections, failed handshakes, throttled
// requests and requests the server let go stale, and every request
// received (a ping and a handshake count too).
var counterKeys = []string{
	"zk_connection_rejected", "zk_connection_drop_count", "zk_unsuccessful_handshake",
	"zk_throttled_ops", "zk_stale_requests_dropped", "zk_packets_received",
}

// cluster is the ensemble under test.
type cluster struct {
	e *zktest.Ensemble
	// clients are the addresses runs connect to: the observers when there
	// are any (they carry the sessions and reads; the voters the quorum),
	// else every member.
	clients []string
}

// newCluster describes e, whose members after the first voters are
// observers.
func newCluster(e *zktest.Ensemble, voters int) *cluster {
	c := &cluster{e: e, clients: e.Addrs()}
	if len(e.Servers) > voters {
		c.clients = e.Addrs()[voters:]
	}
	return c
}

// totals are the ensemble's cumulative counts at one moment.
type totals struct {
	Zxid     int64
	CPU      time.Duration // user and system time of every server JVM
	Counters map[string]int64
}

// read takes the ensemble's totals: the leader's last zxid, the JVMs' CPU
// and mntr's counters.
func (c *cluster) read() (totals, error) {
	t := totals{Counters: map[string]int64{}}
	l, err := c.e.Leader()
	if err != nil {
		return t, err
	}
	if t.Zxid, err = zktest.Zxid(l.Addr, fourLetterTimeout); err != nil {
		return t, err
	}
	for _, s := range c.e.Servers {
		cpu, err := cpuOf(s.PID())
		if err != nil {
			return t, err
		}
		t.CPU += cpu
		m, err := mntr(s.Addr)
		if err != nil {
			return t, err
		}
		for _, k := range counterKeys {
			t.Counters[k] += m[k]
		}
	}
	return t, nil
}

// since returns the counts between an earlier reading and t.
func (t totals) since(before totals) totals {
	d := totals{Zxid: t.Zxid - before.Zxid, CPU: t.CPU - before.CPU, Counters: map[string]int64{}}
	for k, v := range t.Counters {
		d.Counters[k] = v - before.Counters[k]
	}
	return d
}

// mntr asks addr for its monitoring values; the integer ones are kept.
func mntr(addr string) (map[string]int64, error) {
	out, err := zktest.FourLetter(addr, "mntr", fourLetterTimeout)
	if err != nil {
		return nil, err
	}
	return parseMntr(out), nil
}

// parseMntr reads mntr's "key<TAB>value" lines; values that are not
// integers (the version, the state, averages) are left out.
func parseMntr(out string) map[string]int64 {
	m := map[string]int64{}
	for line := range strings.SplitSeq(out, "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}

// cpuOf returns the user plus system CPU time process pid has used.
func cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseCPU(string(b))
}

// parseCPU reads utime and stime (fields 14 and 15) from a /proc/PID/stat
// line. The command name, field 2, is in parentheses and may hold spaces,
// so fields are counted after its closing parenthesis.
func parseCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc stat %q: too few fields", firstWords(stat, 4))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: cpu time %q: %w", s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// peaks are the highest gauges seen while a tick ran.
type peaks struct {
	// Outstanding is the most requests queued on one server.
	Outstanding int64
	// Connections is the most client connections open on the ensemble.
	Connections int64
}

// watch samples every server's mntr every interval until the returned
// function is called, which returns the peaks. A sample a busy server did
// not answer is skipped.
func (c *cluster) watch(interval time.Duration) func() peaks {
	var p peaks
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			c.sample(&p)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() peaks {
		close(done)
		wg.Wait()
		return p
	}
}

// sample asks every server at once and raises p.
func (c *cluster) sample(p *peaks) {
	ms := make([]map[string]int64, len(c.e.Servers))
	var wg sync.WaitGroup
	for i, s := range c.e.Servers {
		wg.Go(func() { ms[i], _ = mntr(s.Addr) })
	}
	wg.Wait()
	var conns int64
	for _, m := range ms {
		p.Outstanding = max(p.Outstanding, m["zk_outstanding_requests"])
		conns += m["zk_num_alive_connections"]
	}
	p.Connections = max(p.Connections, conns)
}
