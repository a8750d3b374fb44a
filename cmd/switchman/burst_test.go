package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
)

// A burst: many runs fired at one instant against an ensemble that lets
// each client address hold only a few connections, as a fleet's top of
// the minute meets a server's maxClientCnxns or connection throttle.

// Burst sizes: 150 runs on 20 locks against 3 connections per client
// address on each of 3 servers (9 in all: every run here comes from
// 127.0.0.1), so that most runs are refused at first.
const (
	burstRuns   = 150
	burstLocks  = 20
	burstCnxns  = 3
	burstChildS = "0.2" // each child's run time, seconds
)

// burstEnsemble starts a 3-node ensemble with local sessions that allows
// burstCnxns connections per client address on each server, and creates
// prefix on it; no connection of the test stays open.
func burstEnsemble(t *testing.T, prefix string) *zktest.Ensemble {
	t.Helper()
	ens := zktest.StartEnsemble(t, 3, zktest.Options{ExtraConfig: []string{
		"maxClientCnxns=" + strconv.Itoa(burstCnxns),
		"localSessionsEnabled=true", "localSessionsUpgradingEnabled=true",
	}})
	admin, err := zktest.Connect(ens.Addrs(), 10*time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close() // the burst must have every connection slot
	if _, err := admin.Create(prefix, []byte(`{}`), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create prefix: %v", err)
	}
	return ens
}

// burstResult is what one run of the burst did.
type burstResult struct {
	code   int
	stderr string
}

// fireBurst starts n runs of bin at once, run i with args(i), and waits
// for all of them (bounded).
func fireBurst(t *testing.T, bin string, n int, args func(i int) []string) []burstResult {
	t.Helper()
	cmds := make([]*exec.Cmd, n)
	errs := make([]*bytes.Buffer, n)
	for i := range cmds {
		c := exec.Command(bin, args(i)...)
		c.Env = append(os.Environ(), "DEBUG=")
		errs[i] = &bytes.Buffer{}
		c.Stderr = errs[i]
		cmds[i] = c
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	res := make([]burstResult, n)
	for i, c := range cmds {
		if !waitOrKill(c, 120*time.Second) {
			t.Fatalf("run %d did not finish in 120s; stderr: %s", i, errs[i])
		}
		res[i] = burstResult{code: c.ProcessState.ExitCode(), stderr: errs[i].String()}
	}
	return res
}

// TestBurstEveryRunDecided fires 150 runs on 20 locks at once against an
// ensemble that refuses most of their connections: every run decides (its
// command runs, or it skips), none exits 69, and each lock's command runs
// exactly once in the round (--min-interval makes the round) with no two
// children of a lock overlapping.
func TestBurstEveryRunDecided(t *testing.T) {
	bin := plainBin(t)
	prefix := "/burst"
	ens := burstEnsemble(t, prefix)
	dir := t.TempDir()
	cfg := zktest.WriteConfig(t, filepath.Join(dir, "switchman.yaml"), zktest.SwitchmanConfig{
		Hosts: ens.ConnString(), Prefix: prefix, SessionTimeout: "10s", ConnectTimeout: "5s",
		// Above the default (30s): 150 processes starting at once on a
		// small machine shared with the rest of the suite took 9 to 26 s
		// to drain; the point is that none gives up, not how fast.
		Extra:   []string{"start_deadline: 60s"},
		Logfile: filepath.Join(dir, "switchman.log"), Loglevel: "debug",
	})
	marks := filepath.Join(dir, "children")
	start := time.Now()
	res := fireBurst(t, bin, burstRuns, func(i int) []string {
		lock := fmt.Sprintf("burst%02d", i%burstLocks)
		child := fmt.Sprintf(`echo "%s start $(date +%%s%%N)" >> %s; sleep %s; echo "%s end $(date +%%s%%N)" >> %s`,
			lock, marks, burstChildS, lock, marks)
		return []string{"-c", cfg, "--lockname", lock, "--min-interval", "1h", "--hostname", fmt.Sprintf("h%03d.example.com", i),
			"--", "/bin/sh", "-c", child}
	})
	took := time.Since(start)
	codes := map[int]int{}
	for _, r := range res {
		codes[r.code]++
	}
	t.Logf("burst of %d runs on %d locks (maxClientCnxns=%d): exit codes %v in %s", burstRuns, burstLocks, burstCnxns, codes, took.Round(time.Millisecond))
	for i, r := range res {
		// Retries are logged at info and debug, never to stderr.
		if r.code != 0 || r.stderr != "" {
			t.Errorf("run %d: exit %d, stderr %q", i, r.code, r.stderr)
		}
	}
	checkOneChildPerLock(t, marks)
	retried := retriedRuns(t, filepath.Join(dir, "switchman.log"))
	if len(retried) == 0 {
		t.Fatalf("no run logged its retries, though %d runs met %d connection slots", burstRuns, 3*burstCnxns)
	}
	slices.Sort(retried)
	t.Logf("%d runs needed more than one connection: median %d, max %d", len(retried), retried[len(retried)/2], retried[len(retried)-1])
	checkRecordedAttempts(t, ens, prefix)
}

// checkOneChildPerLock reads the children's start and end lines: each lock
// ran exactly one child, which ended.
func checkOneChildPerLock(t *testing.T, marks string) {
	t.Helper()
	b, err := os.ReadFile(marks)
	if err != nil {
		t.Fatalf("no child ran: %v", err)
	}
	starts, ends := map[string]int{}, map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad child line %q", line)
		}
		if f[1] == "start" {
			starts[f[0]]++
		} else {
			ends[f[0]]++
		}
	}
	for i := range burstLocks {
		lock := fmt.Sprintf("burst%02d", i)
		if starts[lock] != 1 || ends[lock] != 1 {
			t.Errorf("lock %s: %d children started, %d ended; want exactly 1", lock, starts[lock], ends[lock])
		}
	}
}

// retriedRuns returns the connection counts the runs logged for a
// session that took more than one.
func retriedRuns(t *testing.T, logPath string) []int64 {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var counts []int64
	for _, line := range strings.Split(string(b), "\n") {
		var l struct {
			Msg      string `json:"message"`
			Attempts int64  `json:"connect_attempts"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "zookeeper session after retries" {
			counts = append(counts, l.Attempts)
		}
	}
	return counts
}

// checkRecordedAttempts reads the run records of the burst's locks: each
// lock has one, and a record that notes connection attempts notes more
// than one.
func checkRecordedAttempts(t *testing.T, ens *zktest.Ensemble, prefix string) {
	t.Helper()
	conn, err := zktest.Connect(ens.Addrs(), 10*time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	noted := 0
	for i := range burstLocks {
		lock := fmt.Sprintf("burst%02d", i)
		hosts, _, err := conn.Children(prefix + "/runs/" + lock)
		if err != nil || len(hosts) != 1 {
			t.Errorf("lock %s: run records %v (%v); want one", lock, hosts, err)
			continue
		}
		r := readRun(t, conn, prefix, lock, hosts[0])
		if r.ConnectAttempts == 1 || r.ConnectAttempts < 0 {
			t.Errorf("lock %s: record notes %d connection attempts; want none noted, or more than one", lock, r.ConnectAttempts)
		}
		if r.ConnectAttempts > 1 {
			noted++
		}
	}
	t.Logf("%d of %d run records note connection attempts", noted, burstLocks)
}

// readRun reads the run record of lock on host.
func readRun(t *testing.T, conn *zk.Conn, prefix, lock, host string) fleet.Run {
	t.Helper()
	var r fleet.Run
	b, _, err := conn.Get(prefix + "/runs/" + lock + "/" + host)
	if err != nil {
		t.Fatalf("run record %s/%s: %v", lock, host, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNeverAnsweringEnsembleExits69 checks that the retries end: a run
// against servers that never give a session (one accepts connections and
// never answers, one refuses them) exits 69 once start_deadline has
// passed, not at the first round's timeout and not much later, with one
// line on stderr that counts the connections tried.
func TestNeverAnsweringEnsembleExits69(t *testing.T) {
	zktest.SkipShort(t)
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	go func() {
		var held []net.Conn // accepted, never answered, closed with the listener's test
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	refusing, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := refusing.Addr().String()
	refusing.Close() // nothing listens there now: connections are refused
	const deadline = 2 * time.Second
	dir := t.TempDir()
	for _, tt := range []struct{ name, hosts string }{
		{"accepts and never answers", hung.Addr().String()},
		{"refuses", closed},
		{"both", hung.Addr().String() + "," + closed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := zktest.WriteConfig(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml"), zktest.SwitchmanConfig{
				Hosts: tt.hosts, Prefix: "/x", ConnectTimeout: "0.5", Extra: []string{"start_deadline: " + deadline.String()},
			})
			c := exec.Command(binPath, "-c", cfg, "--lockname", "never", "--", "true")
			c.Env = append(os.Environ(), "DEBUG=", "GORACE=atexit_sleep_ms=0")
			var errb bytes.Buffer
			c.Stderr = &errb
			start := time.Now()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			if !waitOrKill(c, 30*time.Second) {
				t.Fatalf("no exit within 30s; stderr %q", errb.String())
			}
			took := time.Since(start)
			code, stderr := c.ProcessState.ExitCode(), errb.String()
			if code != exitcode.Unavailable || !strings.Contains(stderr, "unreachable") || !strings.Contains(stderr, "connection attempts") ||
				strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line counting the connection attempts", code, stderr, exitcode.Unavailable)
			}
			// At the deadline, not before; the slack is a race-enabled
			// binary's start and exit on a loaded machine.
			if took < deadline || took > deadline+3*time.Second {
				t.Errorf("exit after %s; want start_deadline %s (plus at most 3s)", took.Round(time.Millisecond), deadline)
			}
			t.Logf("exit %d after %s: %s", code, took.Round(time.Millisecond), strings.TrimSpace(stderr))
		})
	}
}
