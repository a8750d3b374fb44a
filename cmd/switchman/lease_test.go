package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/leasebench"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lease"
)

// The lease tests run real switchman processes (the binary TestMain builds)
// against the package's shared ZooKeeper, each test under its own prefix.

func TestValidateLeaseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		want  string
	}{
		{"none", nil, ""},
		{"valid", []string{"db=1:3", "cpu-FQDN=1:CPU-1", "mem=4:int(MEMMB/1024)"}, ""},
		{"zero count", []string{"db=0:3"}, `lease "db=0:3": COUNT is 0, must be at least 1`},
		{"count over total", []string{"db=4:3"}, `lease "db=4:3": COUNT 4 exceeds TOTAL 3`},
		{"letters", []string{"db=a:b"}, `lease "db=a:b": COUNT "a": unknown name "a" at column 1`},
		{"no total", []string{"db=1"}, `lease "db=1": want RESOURCE=COUNT:TOTAL`},
		{"forbidden tokens", []string{"db=1:`reboot`"}, "unexpected character '`' at column 1"},
		{"code", []string{"db=1:exit(0)"}, `unknown name "exit"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := lease.Check(tt.specs)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("lease.Check(%q) = %v; want %q", tt.specs, err, tt.want)
			}
		})
	}
}

// TestBadLeaseSpecExitCode runs the command in-process: a malformed spec
// fails before any config or ZooKeeper is read, with exit 64 and the spec
// named on the first line.
func TestBadLeaseSpecExitCode(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"db=0:3", "db=4:3", "db=a:b", "db=1", "db=1:system('x')"} {
		var out, errb bytes.Buffer
		code := Main([]string{"-c", "/nonexistent.yaml", "--lease", spec, "--", "true"}, &out, &errb)
		first, _, _ := strings.Cut(errb.String(), "\n")
		if code != exitcode.Usage || !strings.Contains(first, fmt.Sprintf("lease %q: ", spec)) || out.Len() != 0 {
			t.Errorf("--lease %s: exit %d, stderr %q; want %d and the spec named on one line", spec, code, errb.String(), exitcode.Usage)
		}
	}
}

// plainBin returns a switchman binary built without the race detector,
// for the tests that start dozens of processes at once: a race-enabled
// process costs about ten times the CPU to start, which on a small shared
// machine would measure start-up, not leases. The binary goes next to
// TestMain's, which removes it.
func plainBin(t *testing.T) string {
	t.Helper()
	zktest.SkipShort(t) // no TestMain build directory under -short
	plain.once.Do(func() {
		plain.path = filepath.Join(filepath.Dir(binPath), "switchman-norace")
		if out, err := exec.Command("go", "build", "-o", plain.path, ".").CombinedOutput(); err != nil {
			plain.err = fmt.Errorf("build switchman: %v\n%s", err, out)
		}
	})
	if plain.err != nil {
		t.Fatal(plain.err)
	}
	return plain.path
}

var plain struct {
	once sync.Once
	path string
	err  error
}

// runWith runs the switchman binary bin to completion, bounded.
func (e *env) runWith(bin string, args ...string) result {
	e.t.Helper()
	c := exec.Command(bin, append([]string{"-c", e.cfg}, args...)...)
	c.Env = append(os.Environ(), "DEBUG=")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	if err := c.Start(); err != nil {
		e.t.Error(err)
		return result{code: -1}
	}
	timer := time.AfterFunc(90*time.Second, func() { c.Process.Kill() })
	defer timer.Stop()
	c.Wait()
	return result{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
}

// leaseEnv is an env whose prefix data lists resources.
func leaseEnv(t *testing.T, resources []string, cfgExtra ...string) *env {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"groups": map[string]any{}, "resources": resources})
	return newEnv(t, sharedZK(t), string(b), cfgExtra...)
}

// gate returns a child script that runs until the file release exists, and
// marks its start in started.
func gate(started, release string) []string {
	return sh(`touch ` + started + `; while [ ! -e ` + release + ` ]; do sleep 0.05; done`)
}

// holder is a switchman run whose child holds what the run took (a lock,
// leases) until it is released.
type holder struct {
	*exec.Cmd
	release string // the file whose existence lets the child finish
}

// hold starts switchman with args around a gated child and waits until
// the child runs; name tells its marker files apart from other holders'.
func (e *env) hold(name string, args ...string) *holder {
	e.t.Helper()
	started, release := filepath.Join(e.dir, name+".started"), filepath.Join(e.dir, name+".release")
	os.Remove(started) // a holder of the same name before this one
	os.Remove(release)
	h := &holder{Cmd: e.start(append(args, gate(started, release)...)...), release: release}
	waitFile0(e.t, started)
	return h
}

// let lets the child finish.
func (h *holder) let(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(h.release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// finish lets the child finish and checks that the run exits 0.
func (h *holder) finish(t *testing.T) {
	t.Helper()
	h.let(t)
	if code := waitExit(t, h.Cmd, 10*time.Second); code != 0 {
		t.Fatalf("holder exit %d", code)
	}
}

func (e *env) start(args ...string) *exec.Cmd {
	e.t.Helper()
	c := e.cmd(args...)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if c.ProcessState == nil {
			c.Process.Kill()
			c.Wait()
		}
	})
	return c
}

// kids lists a znode's children under the test's prefix; none when it
// does not exist.
func (e *env) kids(rel string) []string {
	e.t.Helper()
	k, _, err := e.admin.Children(path.Join(e.prefix, rel))
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		e.t.Fatal(err)
	}
	return k
}

// waitKids waits, bounded, until the znode has n children.
func (e *env) waitKids(rel string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(e.kids(rel)) != n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s has %v, want %d children", rel, e.kids(rel), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestLeaseFiftyJobs starts 50 switchman processes at once, each leasing
// db=1:3 under its own lock name. Every job must run; at most 3 children
// may overlap at any instant; grants must follow the queue exactly (the
// order of the holder nodes' sequence numbers is the order of the queue
// nodes'); nothing may be left in ZooKeeper.
func TestLeaseFiftyJobs(t *testing.T) {
	e := leaseEnv(t, []string{"db"})
	bin := plainBin(t)
	const jobs, total = 50, 3
	marks := filepath.Join(e.dir, "marks")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	stopWatch := e.watchHolders("semaphores/db/leases")
	script := `date +%s%N > ` + marks + `/$1.start; sleep 0.1; date +%s%N > ` + marks + `/$1.end`
	var wg sync.WaitGroup
	codes := make([]result, jobs)
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.runWith(bin, "--lockname", fmt.Sprintf("job-%d", i), "--lease", "db=1:3", "--", "/bin/sh", "-c", script, "sh", strconv.Itoa(i))
		}()
	}
	wg.Wait()
	for i, r := range codes {
		if r.code != 0 || r.stderr != "" {
			t.Errorf("job %d: exit %d, stderr %q", i, r.code, r.stderr)
		}
	}
	spans := readSpans(t, marks, jobs)
	peak := overlap(spans)
	if peak > total {
		t.Fatalf("%d children ran at once, TOTAL is %d", peak, total)
	}
	if peak < 2 {
		t.Errorf("at most %d child ran at once: leases serialised what TOTAL %d allows", peak, total)
	}
	if holders := stopWatch(); holders > total {
		t.Fatalf("ZooKeeper held %d leases at once, TOTAL is %d", holders, total)
	}
	checkLeaseFIFO(t, filepath.Join(e.dir, "switchman.log"), jobs)
	if k := e.kids("queues/db"); len(k) != 0 {
		t.Errorf("queue nodes left: %v", k)
	}
	if k := e.kids("semaphores/db/leases"); len(k) != 0 {
		t.Errorf("lease nodes left: %v", k)
	}
	t.Logf("50 jobs, db=1:3, 100ms children: at most %d at once", peak)
}

type span struct{ start, end int64 }

func readSpans(t *testing.T, dir string, n int) []span {
	t.Helper()
	var out []span
	for i := range n {
		var s span
		for _, x := range []struct {
			ext string
			v   *int64
		}{{"start", &s.start}, {"end", &s.end}} {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.%s", i, x.ext)))
			if err != nil {
				t.Fatalf("job %d did not run its child to the end: %v", i, err)
			}
			if *x.v, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, s)
	}
	return out
}

// overlap is the largest number of spans covering one instant.
func overlap(spans []span) int {
	peak := 0
	for _, a := range spans {
		n := 0
		for _, b := range spans {
			if b.start <= a.start && a.start < b.end {
				n++
			}
		}
		peak = max(peak, n)
	}
	return peak
}

// checkLeaseFIFO reads the "leases held" log lines: sorted by queue node,
// the lease nodes' sequence numbers must increase.
func checkLeaseFIFO(t *testing.T, logPath string, want int) {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type grant struct {
		lock            string
		queued, granted int64
	}
	var gs []grant
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Message string   `json:"message"`
			Lock    string   `json:"lock"`
			Queue   []string `json:"queue_nodes"`
			Lease   []string `json:"lease_nodes"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Message != "leases held" {
			continue
		}
		if len(l.Queue) != 1 || len(l.Lease) != 1 {
			t.Fatalf("log line %s: want one queue and one lease node", sc.Text())
		}
		gs = append(gs, grant{l.Lock, seqNum(t, l.Queue[0]), seqNum(t, l.Lease[0])})
	}
	if len(gs) != want {
		t.Fatalf("%d \"leases held\" log lines, want %d", len(gs), want)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].queued < gs[j].queued })
	for i := 1; i < len(gs); i++ {
		if gs[i].granted < gs[i-1].granted {
			t.Errorf("not FIFO: %s queued before %s but was granted after it", gs[i-1].lock, gs[i].lock)
		}
	}
}

func seqNum(t *testing.T, node string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(node[len(node)-10:], 10, 64)
	if err != nil {
		t.Fatalf("no sequence number in %s", node)
	}
	return n
}

// watchHolders follows the holder nodes under rel and records the most
// units held at once; the returned function stops it and returns that.
func (e *env) watchHolders(rel string) func() int64 {
	e.t.Helper()
	stop := zktest.PeakHolders(e.admin, path.Join(e.prefix, rel))
	return func() int64 {
		peak, err := stop()
		if err != nil {
			e.t.Error(err)
		}
		return peak
	}
}

// TestLeaseMixedCounts mixes jobs taking 2 and 1 of TOTAL 5: the units of
// the children running at once never exceed 5.
func TestLeaseMixedCounts(t *testing.T) {
	e := leaseEnv(t, []string{"db"})
	bin := plainBin(t)
	const jobs = 12
	marks := filepath.Join(e.dir, "marks")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	stopWatch := e.watchHolders("semaphores/db/leases")
	script := `date +%s%N > ` + marks + `/$1.start; sleep 0.1; date +%s%N > ` + marks + `/$1.end`
	count := func(i int) int64 { return int64(1 + i%2) }
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.runWith(bin, "--lockname", fmt.Sprintf("job-%d", i), "--lease", fmt.Sprintf("db=%d:5", count(i)), "--", "/bin/sh", "-c", script, "sh", strconv.Itoa(i))
			if r.code != 0 {
				t.Errorf("job %d: exit %d %s", i, r.code, r.stderr)
			}
		}()
	}
	wg.Wait()
	spans := readSpans(t, marks, jobs)
	for i, a := range spans {
		var units int64
		for j, b := range spans {
			if b.start <= a.start && a.start < b.end {
				units += count(j)
			}
		}
		if units > 5 {
			t.Fatalf("when job %d started, children holding %d units ran, TOTAL is 5", i, units)
		}
	}
	if held := stopWatch(); held > 5 {
		t.Fatalf("ZooKeeper held %d units at once, TOTAL is 5", held)
	}
}

// TestLeaseSigkilledWaiter kills a waiting switchman with SIGKILL: the
// waiter behind it must get the lease once the killed one's session
// expires, not later.
func TestLeaseSigkilledWaiter(t *testing.T) {
	e := leaseEnv(t, []string{"db"})
	h := e.hold("h", "--lockname", "h", "--lease", "db=1:1")
	killed := e.start(append([]string{"--lockname", "w", "--lease", "db=1:1"}, sh("touch "+filepath.Join(e.dir, "w.ran"))...)...)
	e.waitKids("queues/db", 1)
	xStart := filepath.Join(e.dir, "x.start")
	x := e.start(append([]string{"--lockname", "x", "--lease", "db=1:1"}, sh("date +%s%N > "+xStart)...)...)
	e.waitKids("queues/db", 2)

	if err := killed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	killed.Wait()
	h.finish(t)
	// The session timeout is 4s; ZooKeeper expires sessions on 0.5s ticks.
	if code := waitExit(t, x, 10*time.Second); code != 0 {
		t.Fatalf("waiter behind the killed one: exit %d", code)
	}
	started := time.Unix(0, mustStamp(t, xStart))
	// Generous margin: after the expiry the waiter still needs a few round
	// trips and a fork, on a machine that may be busy.
	if d := started.Sub(killedAt); d > 4*time.Second+4*time.Second {
		t.Fatalf("the waiter behind the killed one started %s after the kill: blocked beyond the 4s session timeout", d)
	} else {
		t.Logf("waiter behind the killed one started %s after the kill (session timeout 4s)", d.Round(time.Millisecond))
	}
	if exists(filepath.Join(e.dir, "w.ran")) {
		t.Error("the killed waiter's child ran")
	}
	e.waitKids("queues/db", 0)
	e.waitKids("semaphores/db/leases", 0)
}

func waitFile0(t *testing.T, p string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !exists(p) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustStamp(t *testing.T, p string) int64 {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLeaseWaitTimeout: resources_wait_timeout reached means exit 75, one
// line on stderr, and nothing of the waiter left in ZooKeeper.
func TestLeaseWaitTimeout(t *testing.T) {
	e := leaseEnv(t, []string{"db"}, "resources_wait_timeout: 1")
	h := e.hold("h", "--lockname", "h", "--lease", "db=1:1")
	ran := filepath.Join(e.dir, "ran")
	r := e.run(append([]string{"--lockname", "late", "--lease", "db=1:1"}, sh("touch "+ran)...)...)
	if r.code != exitcode.LeaseWait || strings.Count(r.stderr, "\n") != 1 ||
		!strings.Contains(r.stderr, "gave up waiting for leases db=1:1: resources_wait_timeout 1s reached") {
		t.Fatalf("exit %d, stderr %q; want %d and one line", r.code, r.stderr, exitcode.LeaseWait)
	}
	if r.took < time.Second {
		t.Errorf("gave up after %s, before the 1s timeout", r.took)
	}
	if exists(ran) {
		t.Error("the child ran")
	}
	if k := e.kids("queues/db"); len(k) != 0 {
		t.Errorf("queue nodes left: %v", k)
	}
	if k := e.kids("semaphores/db/leases"); len(k) != 1 {
		t.Errorf("lease nodes %v, want only the holder's", k)
	}
	h.finish(t)
	if k := e.kids("semaphores/db/leases"); len(k) != 0 {
		t.Errorf("lease nodes left after the holder exited: %v", k)
	}
}

func TestLeaseDataErrors(t *testing.T) {
	e := leaseEnv(t, []string{"db", "cpu-FQDN"})
	h := e.hold("h", "--lockname", "h", "--lease", "db=1:3")
	tests := []struct {
		name   string
		lease  string
		code   int
		stderr string
	}{
		{"unknown resource", "nope=1:1", exitcode.DataErr, `unknown resource "nope" in lease "nope=1:1": not in the "resources" list (listed: db, cpu-h1.example.com)`},
		{"total disagrees with holders", "db=1:4", exitcode.DataErr, "TOTAL 4 disagrees with TOTAL 3 of the current holder 1_3_"},
		{"total from macros too small here", "db=1:CPU-100000", exitcode.Usage, `lease "db=1:CPU-100000": COUNT 1 exceeds TOTAL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := filepath.Join(e.dir, "ran-"+strings.ReplaceAll(tt.name, " ", "-"))
			r := e.run(append([]string{"--hostname", "h1.example.com", "--lockname", "x", "--lease", tt.lease}, sh("touch "+ran)...)...)
			if r.code != tt.code || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and one line with %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if exists(ran) {
				t.Error("the child ran")
			}
		})
	}
	if k := e.kids("queues/db"); len(k) != 0 {
		t.Errorf("queue nodes left: %v", k)
	}
	h.finish(t)
}

// TestLeaseSkips: a second instance of a lock name already queued is
// skipped, and so is a waiter whose lock another instance takes; both
// through the skipped-run exit status.
func TestLeaseSkips(t *testing.T) {
	e := leaseEnv(t, []string{"db", "db2"})
	var holders []*holder
	for _, r := range []string{"db", "db2"} {
		holders = append(holders, e.hold(r, "--lockname", "holder-"+r, "--lease", r+"=1:1"))
	}

	t.Run("already queued", func(t *testing.T) {
		firstRan := filepath.Join(e.dir, "first.ran")
		first := e.start(append([]string{"--lockname", "job", "--lease", "db=1:1"}, sh("touch "+firstRan)...)...)
		e.waitKids("queues/db", 1)
		dupRan := filepath.Join(e.dir, "dup.ran")
		r := e.run(append([]string{"--lockname", "job", "--skipped-exit-code", "3", "--lease", "db=1:1"}, sh("touch "+dupRan)...)...)
		if r.code != 3 || r.stderr != "" {
			t.Fatalf("duplicate: exit %d, stderr %q; want the skipped exit status 3, quietly", r.code, r.stderr)
		}
		if exists(dupRan) {
			t.Error("the duplicate's child ran")
		}
		if k := e.kids("queues/db"); len(k) != 1 {
			t.Errorf("queue %v, want the first waiter only", k)
		}
		holders[0].let(t)
		if code := waitExit(t, first, 10*time.Second); code != 0 || !exists(firstRan) {
			t.Fatalf("first waiter: exit %d, ran %v", code, exists(firstRan))
		}
	})

	t.Run("lock appears while waiting", func(t *testing.T) {
		ran := filepath.Join(e.dir, "waiter.ran")
		w := e.start(append([]string{"--lockname", "job", "--skipped-exit-code", "3", "--lease", "db2=1:1"}, sh("touch "+ran)...)...)
		e.waitKids("queues/db2", 1)
		l := e.hold("l", "--lockname", "job")
		if code := waitExit(t, w, 5*time.Second); code != 3 {
			t.Fatalf("waiter exit %d, want the skipped exit status 3", code)
		}
		if exists(ran) {
			t.Error("the waiter's child ran")
		}
		if k := e.kids("queues/db2"); len(k) != 0 {
			t.Errorf("queue nodes left: %v", k)
		}
		l.finish(t)
	})
	holders[1].let(t)
}

// TestLeaseEnvAndOrder: leases are taken, and exported, in the order of
// the resources list, macros expanded.
func TestLeaseEnvAndOrder(t *testing.T) {
	e := leaseEnv(t, []string{"a", "cpu-FQDN", "b"})
	out := filepath.Join(e.dir, "env")
	r := e.run(append([]string{"--hostname", "h1.example.com", "--lease", "b=1:2", "--lease", "cpu-FQDN=1:CPU", "--lease", "a=1:1"},
		sh(`echo "$SWITCHMAN_LEASES" > `+out)...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	cpu := lease.HostMacros("").CPU
	want := fmt.Sprintf("a=1:1,cpu-h1.example.com=1:%d,b=1:2", cpu)
	if got := strings.TrimSpace(waitFile(t, out, time.Second)); got != want {
		t.Fatalf("SWITCHMAN_LEASES=%q, want %q", got, want)
	}
}

// TestLeaseOppositeFlagOrders runs jobs giving the same two leases in
// opposite flag orders, all at once: taken in the one global order, they
// cannot deadlock.
func TestLeaseOppositeFlagOrders(t *testing.T) {
	e := leaseEnv(t, []string{"a", "b"})
	bin := plainBin(t)
	var wg sync.WaitGroup
	for i := range 8 {
		flags := []string{"--lease", "a=1:1", "--lease", "b=1:1"}
		if i%2 == 1 {
			flags = []string{"--lease", "b=1:1", "--lease", "a=1:1"}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.runWith(bin, append(append([]string{"--lockname", fmt.Sprintf("job-%d", i)}, flags...), sh("sleep 0.05")...)...)
			if r.code != 0 {
				t.Errorf("job %d: exit %d %s", i, r.code, r.stderr)
			}
		}()
	}
	wg.Wait()
}

// TestWaitForBusyLock: --wait queues for a busy lock, first come first
// served, and runs each waiter once the one before it is done; --wait=1s
// gives up with exit 75 and leaves nothing behind.
func TestWaitForBusyLock(t *testing.T) {
	e := leaseEnv(t, nil)
	h := e.hold("h", "--lockname", "lk")

	t.Run("timeout", func(t *testing.T) {
		r := e.run(append([]string{"--lockname", "lk", "--wait=1s"}, sh("true")...)...)
		if r.code != exitcode.LeaseWait || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "gave up waiting for lock lk: --wait 1s reached") {
			t.Fatalf("exit %d, stderr %q; want %d", r.code, r.stderr, exitcode.LeaseWait)
		}
		if k := e.kids("queues/.lock-lk"); len(k) != 0 {
			t.Errorf("queue nodes left: %v", k)
		}
	})

	t.Run("fifo", func(t *testing.T) {
		var ws []*exec.Cmd
		for i := range 2 {
			stamp := filepath.Join(e.dir, fmt.Sprintf("w%d", i))
			ws = append(ws, e.start(append([]string{"--lockname", "lk", "--wait"},
				sh(`date +%s%N > `+stamp+`.start; sleep 0.2; date +%s%N > `+stamp+`.end`)...)...))
			e.waitKids("queues/.lock-lk", i+1)
		}
		h.finish(t)
		for i, w := range ws {
			if code := waitExit(t, w, 10*time.Second); code != 0 {
				t.Fatalf("waiter %d exit %d", i, code)
			}
		}
		s0, e0 := mustStamp(t, filepath.Join(e.dir, "w0.start")), mustStamp(t, filepath.Join(e.dir, "w0.end"))
		s1 := mustStamp(t, filepath.Join(e.dir, "w1.start"))
		if !(s0 < s1 && e0 <= s1) {
			t.Fatalf("first waiter ran %d-%d, second started %d: want first come first served, one at a time", s0, e0, s1)
		}
		if k := e.kids("queues/.lock-lk"); len(k) != 0 {
			t.Errorf("queue nodes left: %v", k)
		}
	})
}

// TestLeaseBench runs the benchmark's measurement on a small scale.
func TestLeaseBench(t *testing.T) {
	bin := plainBin(t)
	t.Run("run", func(t *testing.T) {
		e := leaseEnv(t, []string{leasebench.Resource})
		res, err := leasebench.Run(bin, e.cfg, 9, 3, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if res.Ran != 9 || res.MaxConcurrency > 3 || res.MaxConcurrency < 1 || res.OrderViolations != 0 || res.Wall < res.Ideal {
			t.Fatalf("%s", res)
		}
		t.Log(res)
	})
	t.Run("resource not listed", func(t *testing.T) {
		e := leaseEnv(t, []string{"other"})
		if _, err := leasebench.Run(bin, e.cfg, 1, 1, time.Millisecond); !errors.Is(err, leasebench.ErrNotListed) {
			t.Fatalf("err = %v, want ErrNotListed", err)
		}
	})
}
