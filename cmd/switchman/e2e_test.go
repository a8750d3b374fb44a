package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// The end-to-end tests run the real switchman binary, built once with the
// race detector, against a real ZooKeeper shared by the package (each test
// has its own prefix). Tests that stop or freeze ZooKeeper start their own.

var binPath string

func TestMain(m *testing.M) {
	// A run inside the test process (Main called by a test) starts its shim
	// as /proc/self/exe, that is this test binary: be the shim then, as
	// main does, and never run the whole suite again inside it.
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "switchman-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// switchman's heartbeat stamps go here, not to the user's cache, for
	// every run the tests start (env.cmd also sets its own per test), and
	// an installed /usr/lib/switchman is never used.
	if err := testenv.Isolate(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if testing.Short() {
		// The fast inner loop: no binary to build, and every test that
		// runs it or needs ZooKeeper skips (zktest.SkipShort).
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	binPath = filepath.Join(dir, "switchman")
	if out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build switchman: %v\n%s", err, out)
		os.Exit(1)
	}
	// The helpers, beside the binary as make build and the package put them.
	for _, h := range []string{"switchman-shim", "switchman-metrics", "switchman-serve"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, h), "../"+h).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", h, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	zktest.CloseShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

func sharedZK(t *testing.T) *zktest.Server {
	t.Helper()
	return zktest.Shared(t)
}

// env is one test's world: a prefix with group data, a config file and an
// admin client.
type env struct {
	t      *testing.T
	addr   string
	prefix string
	dir    string
	cfg    string
	conf   zktest.SwitchmanConfig // what cfg holds
	admin  *zk.Conn
}

func newEnv(t *testing.T, srv *zktest.Server, data string, cfgExtra ...string) *env {
	t.Helper()
	e := &env{t: t, addr: srv.Addr, dir: t.TempDir()}
	e.prefix = "/" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	conn, err := zktest.Connect([]string{srv.Addr}, 5*time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	e.admin = conn
	if _, err := conn.Create(e.prefix, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create prefix: %v", err)
	}
	e.conf = zktest.SwitchmanConfig{Hosts: srv.Addr, Prefix: e.prefix, SessionTimeout: "4s", ConnectTimeout: "3s",
		TerminationTimeout: "1", Logfile: filepath.Join(e.dir, "switchman.log"), Loglevel: "debug", Extra: cfgExtra}
	e.cfg = zktest.WriteConfig(t, filepath.Join(e.dir, "switchman.yaml"), e.conf)
	return e
}

// setConfig rewrites the test's own config file with edit applied.
func (e *env) setConfig(edit func(*zktest.SwitchmanConfig)) {
	e.t.Helper()
	edit(&e.conf)
	zktest.WriteConfig(e.t, e.cfg, e.conf)
}

// configAs writes the test's config with edit applied to the file name in
// the test's directory, and returns a copy of e that uses it.
func (e *env) configAs(name string, edit func(*zktest.SwitchmanConfig)) *env {
	e.t.Helper()
	c := *e
	c.conf.Extra = slices.Clone(e.conf.Extra)
	edit(&c.conf)
	c.cfg = zktest.WriteConfig(e.t, filepath.Join(e.dir, name), c.conf)
	return &c
}

// withConfig writes a config that adds extra lines to the test's own and
// returns a copy of e using it.
func (e *env) withConfig(name string, extra ...string) *env {
	e.t.Helper()
	return e.configAs(name, func(c *zktest.SwitchmanConfig) { c.Extra = append(c.Extra, extra...) })
}

type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (e *env) cmd(args ...string) *exec.Cmd {
	c := exec.Command(binPath, withConfig(e.cfg, args)...)
	// A race-enabled binary sleeps a second at exit (the race runtime's
	// atexit_sleep_ms); the shim is that binary too, and the sleep would
	// eat the tests' one-second grace.
	// The heartbeat's stamp goes to the test's own cache directory.
	c.Env = append(os.Environ(), "DEBUG=", "GORACE=atexit_sleep_ms=0", "XDG_CACHE_HOME="+filepath.Join(e.dir, "cache"))
	return c
}

// withConfig adds "-c cfg" to a command line that names no config before
// "--": first for a wrapper line, after the words for a subcommand (the
// tests of the other order name their own), before any "--".
func withConfig(cfg string, args []string) []string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-c" || a == "--config" || strings.HasPrefix(a, "--config=") {
			return args // the test names its own
		}
	}
	if cmdline.CommandAt(args, commandNames) != 0 {
		return append([]string{"-c", cfg}, args...)
	}
	i := slices.Index(args, "--")
	if i < 0 {
		i = len(args)
	}
	return append(append(slices.Clone(args[:i]), "-c", cfg), args[i:]...)
}

// run runs switchman to completion, bounded.
func (e *env) run(args ...string) result {
	e.t.Helper()
	c := e.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	if !waitOrKill(c, 60*time.Second) {
		e.t.Fatalf("switchman %q did not finish in 60s; stderr: %s", args, errb.String())
	}
	return result{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
}

// sh returns arguments running a shell script as the child.
func sh(script string) []string { return []string{"--", "/bin/sh", "-c", script} }

// waitFile waits until path exists and is non-empty, bounded.
func waitFile(t *testing.T, path string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within %s", path, within)
	return ""
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(waitFile(t, path, 10*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie is dead for our purpose; its parent reaps it.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive after %s", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitExit(t *testing.T, c *exec.Cmd, within time.Duration) int {
	t.Helper()
	if !waitOrKill(c, within) {
		t.Fatalf("switchman did not exit within %s", within)
	}
	return c.ProcessState.ExitCode()
}

// waitOrKill waits for the started c to exit and reports whether it did
// within the bound; if not, it kills c and reaps it.
func waitOrKill(c *exec.Cmd, within time.Duration) bool {
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(within):
		c.Process.Kill()
		<-done
		return false
	}
}

func TestRunSimpleAndSilent(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	out := filepath.Join(e.dir, "env")
	r := e.run(append([]string{"-g", "g", "--hostname", "h1.example.com"},
		sh(`env | grep ^SWITCHMAN_ | sort > `+out+`; echo child-out; echo child-err >&2`)...)...)
	if r.code != 0 || r.stdout != "child-out\n" || r.stderr != "child-err\n" {
		t.Fatalf("code %d stdout %q stderr %q: switchman must pass the child's output through and add nothing", r.code, r.stdout, r.stderr)
	}
	got := waitFile(t, out, time.Second)
	for _, want := range []string{"SWITCHMAN_GROUP=g", "SWITCHMAN_HOST=h1.example.com", "SWITCHMAN_LOCK=" + e.prefix + "/locks/sh", "SWITCHMAN_FENCING_TOKEN="} {
		if !strings.Contains(got, want) {
			t.Errorf("child env lacks %s:\n%s", want, got)
		}
	}
	logb, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log"))
	for _, want := range []string{`"message":"START"`, `"message":"FINISH"`, `"max_rss_kb"`, `"user_cpu_ms"`, `"result":"success"`} {
		if !bytes.Contains(logb, []byte(want)) {
			t.Errorf("log lacks %s", want)
		}
	}
	if ok, _, _ := e.admin.Exists(e.prefix + "/locks/sh"); ok {
		t.Error("lock node left behind after the run")
	}
}

func TestExclusive(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	marks := filepath.Join(e.dir, "marks")
	script := `echo run >> ` + marks + `; sleep 2`
	first := e.cmd(append([]string{"--lockname", "job"}, sh(script)...)...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, marks, 10*time.Second)
	r := e.run(append([]string{"--lockname", "job", "--hostname", "other.example.com"}, sh(script)...)...)
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("busy run: code %d stderr %q; want a quiet 0", r.code, r.stderr)
	}
	if code := waitExit(t, first, 20*time.Second); code != 0 {
		t.Fatalf("first run exit %d", code)
	}
	if b, _ := os.ReadFile(marks); strings.Count(string(b), "run") != 1 {
		t.Fatalf("child ran %d times, want 1", strings.Count(string(b), "run"))
	}
	r = e.run(append([]string{"--skipped-exit-code", "3", "--lockname", "job"}, sh(`exit 0`)...)...)
	if r.code != 0 {
		t.Fatalf("free lock: exit %d %s", r.code, r.stderr)
	}
}

func TestGroups(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"web":["w1.example.com"],"all":["web","db1.example.com"],"a":["b"],"b":["a","c1.example.com"]}}`)
	tests := []struct {
		name, group, host string
		ran               bool
		code              int
		stderr            string
	}{
		{"direct member", "web", "w1.example.com", true, 0, ""},
		{"nested member", "all", "w1.example.com", true, 0, ""},
		{"not a member is quiet", "web", "db1.example.com", false, 0, ""},
		{"cycle terminates", "a", "c1.example.com", true, 0, ""},
		{"cycle non-member", "b", "zz.example.com", false, 0, ""},
		{"unknown group", "nope", "w1.example.com", false, exitcode.DataErr, `unknown group "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := filepath.Join(e.dir, "ran-"+strings.ReplaceAll(tt.name, " ", "-"))
			r := e.run(append([]string{"-g", tt.group, "--hostname", tt.host, "--lockname", "l-" + filepath.Base(mark)}, sh("touch "+mark)...)...)
			_, err := os.Stat(mark)
			if ran := err == nil; ran != tt.ran || r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("ran=%v code=%d stderr=%q; want ran=%v code=%d stderr~%q", ran, r.code, r.stderr, tt.ran, tt.code, tt.stderr)
			}
			if tt.stderr == "" && r.stderr != "" {
				t.Errorf("unexpected stderr %q", r.stderr)
			}
		})
	}
	t.Run("skipped exit code", func(t *testing.T) {
		r := e.run(append([]string{"-g", "web", "--hostname", "db1.example.com", "--skipped-exit-code", "99"}, sh("true")...)...)
		if r.code != 99 {
			t.Fatalf("exit %d, want 99", r.code)
		}
	})
}

func TestMalformedGroupDataAtStart(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":[1,2]}}`)
	mark := filepath.Join(e.dir, "ran")
	r := e.run(append([]string{"-g", "g", "--hostname", "h"}, sh("touch "+mark)...)...)
	if r.code != exitcode.DataErr || !strings.Contains(r.stderr, "groups.g") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("child started despite malformed data")
	}
}

// startTrapped starts switchman with a child that records its pid and a
// "term" mark when it gets SIGTERM.
func (e *env) startTrapped(extra ...string) (*exec.Cmd, int, string) {
	e.t.Helper()
	pidf, marks := filepath.Join(e.dir, "pid"), filepath.Join(e.dir, "marks")
	os.Remove(pidf)
	script := `echo $$ > ` + pidf + `; trap 'echo term >> ` + marks + `; exit 0' TERM; sleep 60 & wait`
	c := e.cmd(append(extra, sh(script)...)...)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	return c, readPid(e.t, pidf), marks
}

// waitLost waits until a run started by startTrapped exits with exitcode.Lost,
// returning when it did, and checks that its child got SIGTERM and is gone.
func waitLost(t *testing.T, c *exec.Cmd, pid int, marks string) time.Time {
	t.Helper()
	if code := waitExit(t, c, 10*time.Second); code != exitcode.Lost {
		t.Fatalf("exit %d, want %d", code, exitcode.Lost)
	}
	exited := time.Now()
	waitGone(t, pid, time.Second)
	if b, _ := os.ReadFile(marks); !strings.Contains(string(b), "term") {
		t.Error("child did not get SIGTERM")
	}
	return exited
}

// TestLiveGroupMoveStopsChild: well-formed group data in which this host
// is no longer in the group stops the job, whether the group was moved to
// other hosts or deleted.
func TestLiveGroupMoveStopsChild(t *testing.T) {
	srv := sharedZK(t)
	for _, tt := range []struct{ name, data string }{
		{"moved", `{"groups":{"g":["h2.example.com"]}}`},
		{"deleted", `{"groups":{"other":["h1.example.com"]}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"],"other":["h1.example.com"]}}`)
			c, pid, marks := e.startTrapped("-g", "g", "--hostname", "h1.example.com")
			moved := time.Now()
			if _, err := e.admin.Set(e.prefix, []byte(tt.data), -1); err != nil {
				t.Fatal(err)
			}
			if d := waitLost(t, c, pid, marks).Sub(moved); d > 3*time.Second {
				t.Errorf("stopping took %s after the change", d)
			}
			if out := c.Stderr.(*bytes.Buffer).String(); out != "" {
				t.Errorf("a planned move printed %q on stderr: cron would mail it from every host", out)
			}
			if b, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log")); !strings.Contains(string(b), `"result":"moved"`) {
				t.Errorf("no FINISH line with result moved in the log:\n%s", b)
			}
		})
	}
}

// TestMalformedDataWhileRunningKeepsChild: group data that does not parse,
// or has the wrong shape, keeps the job running on the last good data.
func TestMalformedDataWhileRunningKeepsChild(t *testing.T) {
	srv := sharedZK(t)
	for _, tt := range []struct{ name, data string }{
		{"does not parse", `{"groups": oops`},
		{"wrong shape", `{"groups":{"g":5}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
			c, pid, _ := e.startTrapped("-g", "g", "--hostname", "h1.example.com")
			if _, err := e.admin.Set(e.prefix, []byte(tt.data), -1); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if !alive(pid) {
				t.Fatal("malformed group data stopped the running job")
			}
			if err := c.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, c, 10*time.Second); code != 0 {
				t.Fatalf("exit %d after forwarded TERM (child traps it and exits 0)", code)
			}
		})
	}
}

func TestLockDeletedStopsChild(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	c, pid, marks := e.startTrapped("--lockname", "job")
	if err := e.admin.Delete(e.prefix+"/locks/job", -1); err != nil {
		t.Fatal(err)
	}
	waitLost(t, c, pid, marks)
	// Unlike a planned move, a lost lock is news: one line on stderr.
	if out := c.Stderr.(*bytes.Buffer).String(); !strings.Contains(out, "lock") || strings.Count(out, "\n") != 1 {
		t.Errorf("stderr %q: want one line about the lost lock", out)
	}
}

func TestSignalForwardingReleasesLock(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			pidf := filepath.Join(e.dir, "pid-"+strconv.Itoa(int(sig)))
			c := e.cmd(append([]string{"--lockname", "sig"}, sh(`echo $$ > `+pidf+`; sleep 60 & wait`)...)...)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			pid := readPid(t, pidf)
			if err := c.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, c, 10*time.Second); code != 128+int(sig) {
				t.Fatalf("exit %d, want %d (the child died of the forwarded signal)", code, 128+int(sig))
			}
			waitGone(t, pid, time.Second)
			if ok, _, _ := e.admin.Exists(e.prefix + "/locks/sig"); ok {
				t.Fatal("lock still held after switchman exited")
			}
		})
	}
}

func TestSigkilledSwitchmanLeavesNoChild(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	c, pid, _ := e.startTrapped("--lockname", "killed")
	if err := c.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c.Process.Pid, 5*time.Second)
	waitGone(t, pid, 5*time.Second)
	// The child's grandchild (the sleep) must be gone too: nothing of the
	// job may outlive a SIGKILLed switchman.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command("pgrep", "-g", strconv.Itoa(pid)).Output()
		if len(bytes.TrimSpace(out)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the job outlived switchman: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Wait()
}

// escapingJob is a job whose descendants leave its process group every way
// a shell can: a setsid child, a plain background child, a setsid child
// with a child of its own, and a double-forked daemon (its parent exits at
// once, so it is orphaned while the job runs). Each writes its pid to
// pids; the job writes "ready" to ready when all are started.
const escapingJob = `setsid sleep 300 & echo $! >> pids
sleep 300 & echo $! >> pids
setsid sh -c 'sleep 300 & echo $! >> pids; echo $$ >> pids; wait' &
(setsid sh -c 'echo $$ >> pids; exec sleep 300' &)
while [ $(wc -l < pids) -lt 5 ]; do sleep 0.05; done
echo ready > ready
wait`

// startEscapingJob starts switchman running escapingJob in dir and returns
// it with the pids of the job's descendants, once all are running.
func (e *env) startEscapingJob(dir string, extra ...string) (*exec.Cmd, []int) {
	e.t.Helper()
	c := e.cmd(append(extra, sh(escapingJob)...)...)
	c.Dir = dir
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	waitFile(e.t, filepath.Join(dir, "ready"), 10*time.Second)
	b, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		e.t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			e.t.Fatal(err)
		}
		pids = append(pids, pid)
		// Should the test fail, leave nothing running.
		e.t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	}
	return c, pids
}

// TestNoDescendantOutlivesSwitchman: whatever the job's descendants did
// with sessions and process groups, none survives switchman, whether it
// is SIGKILLed (the shim, a subreaper, kills them) or stops the job
// because the lock was lost (switchman, a subreaper, kills them).
func TestNoDescendantOutlivesSwitchman(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	tests := []struct {
		name string
		end  func(c *exec.Cmd, lock string)
		code int // switchman's exit status; -1: killed
	}{
		{"switchman SIGKILLed", func(c *exec.Cmd, _ string) { c.Process.Kill() }, -1},
		{"lock deleted", func(_ *exec.Cmd, lock string) { e.admin.Delete(e.prefix+"/locks/"+lock, -1) }, exitcode.Lost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := strings.ReplaceAll(tt.name, " ", "-")
			c, pids := e.startEscapingJob(t.TempDir(), "--lockname", lock)
			for _, pid := range pids {
				if !alive(pid) {
					t.Fatalf("descendant %d is not running", pid)
				}
			}
			tt.end(c, lock)
			if code := waitExit(t, c, 10*time.Second); code != tt.code {
				t.Errorf("switchman exited %d, want %d", code, tt.code)
			}
			for _, pid := range pids {
				waitGone(t, pid, 5*time.Second)
			}
		})
	}
}

// TestHugeCommandLine: a command line larger than a znode may hold (here
// 1.2 MB, past ZooKeeper's 1 MB jute.maxbuffer) runs, and the lock node
// holds a bounded summary marked as cut.
func TestHugeCommandLine(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	dir := t.TempDir()
	args := []string{"--lockname", "huge", "--", "/bin/sh", "-c",
		`echo $# > out; while [ ! -e go ]; do sleep 0.05; done`, "sh"}
	const n, size = 12, 100 << 10
	for i := 0; i < n; i++ {
		args = append(args, strings.Repeat(strconv.Itoa(i%10), size))
	}
	c := e.cmd(args...)
	c.Dir = dir
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(waitFile(t, filepath.Join(dir, "out"), 20*time.Second)); got != strconv.Itoa(n) {
		t.Errorf("the job got %s arguments, want %d", got, n)
	}
	b, _, err := e.admin.Get(e.prefix + "/locks/huge")
	if err != nil {
		t.Fatal(err)
	}
	var info lock.Info
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if len(b) > 2*lock.MaxCommandBytes || !info.CommandCut || info.Command[0] != "/bin/sh" {
		t.Errorf("lock node: %d bytes, command_cut %v, command starts %.20q", len(b), info.CommandCut, info.Command)
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 20*time.Second); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// TestMissingPrefixCreatesNothing: with a mistyped prefix, every run that
// asks ZooKeeper anything fails with the documented error (exit 69, naming
// the prefix) before its command starts, whatever it was about to write
// (heartbeat due on every run, run record, lock, queue, lease, start
// claim), and neither a run nor an operator command creates the prefix.
func TestMissingPrefixCreatesNothing(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]},"resources":["db"]}`)
	typo := e.prefix + "-typo"
	bad := e.configAs("typo.yaml", func(c *zktest.SwitchmanConfig) { c.Prefix = typo })
	mark := filepath.Join(e.dir, "ran")
	runs := [][]string{
		{"--lockname", "plain"},
		{"-g", "g", "--hostname", "h1.example.com"},
		{"--wait=5s", "--lockname", "queued"},
		{"--halt-on-failure", "--lockname", "halting"},
		{"--no-lock", "--lease", "db=1:1"},
		{"--no-lock", "--min-interval", "1h", "--lockname", "interval"},
	}
	for _, flags := range runs {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			// No heartbeat stamp: a heartbeat is due on this run.
			os.RemoveAll(filepath.Join(e.dir, "cache"))
			r := bad.run(append(flags, sh("touch "+mark)...)...)
			if r.code != exitcode.Unavailable || !strings.Contains(r.stderr, typo) || !strings.Contains(r.stderr, "prefix") {
				t.Errorf("exit %d, stderr %q; want %d naming the prefix", r.code, r.stderr, exitcode.Unavailable)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Error("the command ran")
			}
		})
	}
	for _, args := range [][]string{
		{"kill", "plain"}, {"pause", "plain"}, {"pause", "--group", "g"}, {"resume", "plain"},
		{"groups", "add", "g", "h2.example.com"}, {"status"}, {"check", "failed"},
	} {
		r := bad.run(args...)
		if r.code == 0 {
			t.Errorf("switchman %q: exit 0 with a missing prefix", args)
		}
	}
	if ok, _, err := e.admin.Exists(typo); err != nil || ok {
		t.Fatalf("the mistyped prefix %s exists (%v): something created it", typo, err)
	}
}

func TestTimeoutAndIgnoredTerm(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	pids := filepath.Join(e.dir, "pids")
	// The child ignores TERM and has two grandchildren that ignore it too.
	script := `trap '' TERM; (trap '' TERM; sleep 60) & (trap '' TERM; sleep 60) & echo $$ > ` + pids + `; wait`
	start := time.Now()
	r := e.run(append([]string{"--timeout", "500ms", "--lockname", "slow"}, sh(script)...)...)
	if r.code != exitcode.Timeout || !strings.Contains(r.stderr, "--timeout") {
		t.Fatalf("exit %d stderr %q, want %d", r.code, r.stderr, exitcode.Timeout)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("finished after %s: the 1s grace before KILL was not honoured", took)
	}
	pid := readPid(t, pids)
	waitGone(t, pid, time.Second)
	out, _ := exec.Command("pgrep", "-g", strconv.Itoa(pid)).Output()
	if len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("processes left in the child's group: %s", out)
	}
}

func TestExitCodes(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	noexec := filepath.Join(e.dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"child status passes through", sh("exit 3"), 3, ""},
		{"255", sh("exit 255"), 255, ""},
		{"death by signal", sh("kill -9 $$"), 137, ""},
		{"not found", []string{"--", "/nonexistent/cmd"}, exitcode.NotFound, "not found"},
		{"not executable", []string{"--", noexec}, exitcode.NotExec, "not executable"},
		{"no command", []string{"-g", "x"}, exitcode.Usage, "no command given"},
		{"bad lock name", []string{"--lockname", "..", "--", "true"}, exitcode.Usage, "reserved"},
		{"unknown flag", []string{"--bogus", "--", "true"}, exitcode.Usage, "unknown option --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(append([]string{"--lockname", "codes"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || (tt.stderr == "" && r.stderr != "") {
				t.Fatalf("exit %d stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	write := func(name string, c zktest.SwitchmanConfig) string {
		return zktest.WriteConfig(t, filepath.Join(e.dir, name), c)
	}
	mark := filepath.Join(e.dir, "ran")
	tests := []struct {
		name   string
		cfg    string
		code   int
		stderr string
		flags  []string
	}{
		{"unknown key", write("a.yaml", zktest.SwitchmanConfig{Hosts: e.addr, Prefix: "/x", Extra: []string{"zk_hosts: y"}}), exitcode.Config, `line 3: unknown key "zk_hosts"`, nil},
		{"negative duration", write("b.yaml", zktest.SwitchmanConfig{Hosts: e.addr, Prefix: "/x", TerminationTimeout: "-3"}), exitcode.Config, `"termination_timeout"`, nil},
		{"missing file", filepath.Join(e.dir, "missing.yaml"), exitcode.Config, "does not exist", nil},
		{"zookeeper unreachable", write("c.yaml", zktest.SwitchmanConfig{Hosts: "127.0.0.1:1", Prefix: "/x", ConnectTimeout: "0.5",
			Extra: []string{"start_deadline: 0.5s"}}), exitcode.Unavailable, "unreachable", nil},
		{"prefix missing", write("d.yaml", zktest.SwitchmanConfig{Hosts: e.addr, Prefix: "/no/such/prefix"}), exitcode.Unavailable, "/no/such/prefix", nil},
		// --group "$G" with G unset in a crontab must not run everywhere.
		{"empty group", e.cfg, exitcode.Usage, "empty --group", []string{"--group", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"-c", tt.cfg}, tt.flags...), "--", "/bin/sh", "-c", "touch "+mark)
			c := exec.Command(binPath, args...)
			var errb bytes.Buffer
			c.Stderr = &errb
			err := c.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code {
				t.Fatalf("exit %v, want %d; stderr %q", err, tt.code, errb.String())
			}
			s := errb.String()
			if tt.code == exitcode.Usage {
				// A usage error is one line, then the pointer to --help.
				s = strings.TrimSuffix(s, "Run 'switchman --help' for usage.\n")
			}
			if !strings.Contains(s, tt.stderr) || strings.Count(s, "\n") != 1 || !strings.Contains(s, tt.cfg) && tt.code == exitcode.Config {
				t.Errorf("stderr %q: want one line naming the file and containing %q", s, tt.stderr)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatal("child started despite bad input")
			}
		})
	}
}

// TestZooKeeperFrozenStopsChildBeforeExpiry freezes the only server past
// the session timeout: the child must be dead before the session could
// expire, so that no second host could get the lock while it runs.
func TestZooKeeperFrozenStopsChildBeforeExpiry(t *testing.T) {
	srv := zktest.Start(t)
	e := newEnv(t, srv, `{}`)
	c, pid, marks := e.startTrapped("--lockname", "frozen")
	time.Sleep(500 * time.Millisecond)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	defer srv.Resume()
	frozen := time.Now()
	waitGone(t, pid, 8*time.Second)
	gone := time.Since(frozen)
	// The session timeout is 4s: the server heard from us at most a
	// heartbeat (0.4s) before the freeze.
	if gone >= 4*time.Second {
		t.Fatalf("child died %s after the freeze: not before the 4s session could expire", gone)
	}
	if b, _ := os.ReadFile(marks); !strings.Contains(string(b), "term") {
		t.Error("child was not sent SIGTERM first")
	}
	srv.Resume()
	if code := waitExit(t, c, 10*time.Second); code != exitcode.Lost {
		t.Fatalf("exit %d, want %d", code, exitcode.Lost)
	}
	t.Logf("child gone %s after ZooKeeper froze (session timeout 4s)", gone)
}

func TestZooKeeperRestartWithinSessionKeepsChild(t *testing.T) {
	srv := zktest.Start(t)
	e := newEnv(t, srv, `{}`)
	// A long session: the restart (a JVM start) takes seconds on a loaded
	// machine, and the guard rightly fences after 0.77 S of silence.
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.SessionTimeout = "20s" })
	done := filepath.Join(e.dir, "done")
	c := e.cmd(append([]string{"--lockname", "restart"}, sh(`sleep 5; echo ok > `+done)...)...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 20*time.Second); code != 0 {
		t.Fatalf("exit %d: a restart within the session timeout must not stop the job", code)
	}
	waitFile(t, done, time.Second)
}

// TestSignalWhileWaiting stops a switchman that waits for a busy lock:
// it exits 128+N, the command never started, and it leaves no queue node.
func TestSignalWhileWaiting(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	holder, _, _ := e.startTrapped("--lockname", "waited")
	defer func() { holder.Process.Signal(syscall.SIGTERM); waitExit(t, holder, 10*time.Second) }()
	mark := filepath.Join(e.dir, "ran")
	c := e.cmd(append([]string{"--lockname", "waited", "--wait"}, sh("touch "+mark)...)...)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		kids, _, _ := e.admin.Children(e.prefix + "/queues/.lock-waited")
		if len(kids) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the waiter never queued")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 10*time.Second); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("exit %d, want %d; stderr %q", code, 128+int(syscall.SIGTERM), errb.String())
	}
	if !strings.Contains(errb.String(), "SIGTERM before the command started") {
		t.Errorf("stderr %q", errb.String())
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("the command ran")
	}
	if kids, _, _ := e.admin.Children(e.prefix + "/queues/.lock-waited"); len(kids) != 0 {
		t.Fatalf("queue nodes left: %v", kids)
	}
}

// loneBinary copies the switchman under test to a directory of its own,
// away from the helpers built beside it.
func loneBinary(t *testing.T) string {
	t.Helper()
	lone := filepath.Join(t.TempDir(), "switchman")
	b, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return lone
}

// TestShimChoice checks which shim runs the job: the small switchman-shim
// beside the binary, else switchman itself re-executed through
// /proc/self/exe (whose process name is then "exe"); both keep exit codes.
func TestShimChoice(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	lone := loneBinary(t)
	for _, tt := range []struct{ bin, parent string }{{binPath, "switchman-shim"}, {lone, "exe"}} {
		out := filepath.Join(e.dir, "parent-"+tt.parent)
		c := exec.Command(tt.bin, "-c", e.cfg, "--lockname", "shim", "--", "/bin/sh", "-c", "cat /proc/$PPID/comm > "+out+"; exit 7")
		c.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
		err := c.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 7 {
			t.Fatalf("%s: exit %v, want 7", tt.bin, err)
		}
		if got := strings.TrimSpace(waitFile(t, out, time.Second)); got != tt.parent {
			t.Errorf("%s: the job's parent is %q, want %q", tt.bin, got, tt.parent)
		}
	}
}

// TestPartitionedRunExitsPromptly: in a partition longer than the session
// timeout, switchman stops the command before the session can expire and
// exits 71 within a couple of seconds of the command's death, though
// ZooKeeper cannot be reached; status then shows the record as lost (its
// session gone), and the next run on the host, once the partition heals,
// delivers the spooled finish record.
func TestPartitionedRunExitsPromptly(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	proxy, err := faultproxy.New([]string{srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	far := e.configAs("far.yaml", func(c *zktest.SwitchmanConfig) { c.Hosts = proxy.Addr() })
	pidf := filepath.Join(e.dir, "pid")
	c := far.cmd(append([]string{"--lockname", "part", "--hostname", "h1.example.com"}, sh("echo $$ > "+pidf+"; exec sleep 60")...)...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, pidf)
	readRecord := func() (fleet.Run, error) {
		var r fleet.Run
		b, _, err := e.admin.Get(e.prefix + "/runs/part/h1.example.com")
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		return r, err
	}
	record := func() fleet.Run {
		t.Helper()
		r, err := readRecord()
		if err != nil {
			t.Fatalf("run record: %v", err)
		}
		return r
	}
	// The start record rides in the lock's create, or, when it could not
	// (its nodes changed meanwhile), is written just after the command
	// started: it may not be there yet when the command already runs.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := readRecord()
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			t.Fatalf("run record: %v", err)
		}
		if err == nil && r.State == fleet.StateRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running record: %+v, %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	t0 := time.Now()
	proxy.SetMode(faultproxy.Blackhole)
	waitGone(t, pid, 10*time.Second)
	dead := time.Now()
	if code := waitExit(t, c, 10*time.Second); code != exitcode.Lost {
		t.Fatalf("exit %d, want %d", code, exitcode.Lost)
	}
	linger := time.Since(dead)
	t.Logf("child dead %s after the partition began; switchman exited %s later", dead.Sub(t0).Round(time.Millisecond), linger.Round(time.Millisecond))
	if linger > 3*time.Second {
		t.Errorf("switchman lingered %s after its child died", linger)
	}

	// Once the server expires the session, the record that still says
	// running is shown as what it is.
	deadline = time.Now().Add(15 * time.Second)
	for {
		r := e.run("status", "--output", "json")
		var st struct{ Runs []fleet.Run }
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatalf("status: %v; %q", err, r.stdout)
		}
		if len(st.Runs) == 1 && st.Runs[0].State == fleet.StateLost {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never showed the record as lost: %+v", st.Runs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := e.run("check", "failed"); r.code != 2 || !strings.Contains(r.stdout, "lost") {
		t.Errorf("check failed: exit %d, %q; want CRITICAL naming the lost run", r.code, r.stdout)
	}

	// The partition heals; the host's next run delivers the spooled record.
	proxy.SetMode(faultproxy.Pass)
	if r := far.run("--lockname", "other", "--hostname", "h1.example.com", "--", "true"); r.code != 0 {
		t.Fatalf("next run: exit %d, %q", r.code, r.stderr)
	}
	if r := record(); r.State != fleet.StateFinished || r.Result != "lost-lock" || r.Finish.Before(t0) {
		t.Errorf("record after the next run: %+v; want finished, lost-lock", r)
	}
}
