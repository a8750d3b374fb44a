package zktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/testenv"
)

// connect opens a ZooKeeper session to servers and waits (bounded) until it
// is established.
func connect(t *testing.T, servers ...string) *zk.Conn {
	t.Helper()
	conn, err := Connect(servers, 10*time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return conn
}

// mustGet reads path through a fresh session to servers and checks its data.
func mustGet(t *testing.T, path, want string, servers ...string) {
	t.Helper()
	conn := connect(t, servers...)
	got, _, err := conn.Get(path)
	if err != nil {
		t.Fatalf("get %s from %v: %v", path, servers, err)
	}
	if string(got) != want {
		t.Fatalf("get %s from %v = %q, want %q", path, servers, got, want)
	}
	conn.Close()
}

func TestRenderConfig(t *testing.T) {
	opts := Options{ExtraConfig: []string{"secureClientPort=7777"}}.withDefaults()
	peers := []member{{1, 101, 102, 103}, {2, 201, 202, 203}, {3, 301, 302, 303}}
	tests := []struct {
		name    string
		self    member
		peers   []member
		local   bool
		want    []string
		wantNot []string
	}{
		{
			name: "standalone",
			self: member{id: 1, clientPort: 2181},
			want: []string{
				"tickTime=500", "minSessionTimeout=1000", "maxSessionTimeout=60000", "initLimit=10", "syncLimit=5",
				"dataDir=/d/data", "clientPort=2181", "clientPortAddress=127.0.0.1", "admin.enableServer=false",
				"4lw.commands.whitelist=*", "maxClientCnxns=0", "clientPortListenBacklog=4096", "preAllocSize=1024", "forceSync=no",
				"secureClientPort=7777",
			},
			wantNot: []string{"server.", "standaloneEnabled", "localSessions"},
		},
		{
			name:  "a quorum of one with local sessions",
			self:  peers[0],
			peers: peers[:1],
			local: true,
			want: []string{
				"clientPort=101", "server.1=127.0.0.1:102:103", "standaloneEnabled=false",
				"localSessionsEnabled=true", "localSessionsUpgradingEnabled=true",
			},
			wantNot: []string{"server.2"},
		},
		{
			name:  "ensemble member with local sessions",
			self:  peers[2],
			peers: peers,
			local: true,
			want: []string{
				"clientPort=301", "server.3=127.0.0.1:302:303", "localSessionsEnabled=true", "localSessionsUpgradingEnabled=true",
			},
			wantNot: []string{"standaloneEnabled"},
		},
		{
			name:  "ensemble member",
			self:  peers[1],
			peers: peers,
			want: []string{
				"clientPort=201", "server.1=127.0.0.1:102:103", "server.2=127.0.0.1:202:203",
				"server.3=127.0.0.1:302:303",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.LocalSessions = tt.local
			cfg := renderConfig(o, "/d/data", tt.self, tt.peers)
			lines := strings.Split(cfg, "\n")
			for _, w := range tt.want {
				if !containsLine(lines, w) {
					t.Errorf("zoo.cfg lacks line %q:\n%s", w, cfg)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(cfg, w) {
					t.Errorf("zoo.cfg contains %q:\n%s", w, cfg)
				}
			}
			if last := lines[len(lines)-2]; last != "secureClientPort=7777" {
				t.Errorf("last line = %q, want ExtraConfig last so it overrides", last)
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string // "" for valid
	}{
		{name: "zero value", opts: Options{}},
		{name: "sub-millisecond tick", opts: Options{TickTime: 1500 * time.Microsecond}, wantErr: "TickTime=1.5ms"},
		{name: "negative max", opts: Options{MaxSessionTimeout: -time.Second}, wantErr: "MaxSessionTimeout=-1s"},
		{name: "min above max", opts: Options{MinSessionTimeout: 5 * time.Second, MaxSessionTimeout: 2 * time.Second}, wantErr: "MinSessionTimeout=5s"},
		{name: "newline in extra", opts: Options{ExtraConfig: []string{"a=1\nb=2"}}, wantErr: "ExtraConfig[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.withDefaults().validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadOptions) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("validate() = %v, want ErrBadOptions naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		name, resp, want string
		wantErr          bool
	}{
		{name: "standalone", resp: "Zookeeper version: 3.8.0\nZxid: 0x0\nMode: standalone\nNode count: 5\n", want: "standalone"},
		{name: "leader", resp: "Mode: leader\n", want: "leader"},
		{name: "not serving", resp: "This ZooKeeper instance is not currently serving requests\n", wantErr: true},
		{name: "empty", resp: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMode(tt.resp)
			if tt.wantErr {
				if !errors.Is(err, ErrNotServing) {
					t.Fatalf("parseMode = %q, %v; want ErrNotServing", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseMode = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseZxid(t *testing.T) {
	tests := []struct {
		name, resp string
		want       int64
		wantErr    bool
	}{
		{name: "standalone", resp: "Zookeeper version: 3.8.0\nZxid: 0x1a2\nMode: standalone\n", want: 0x1a2},
		{name: "new epoch", resp: "Zxid: 0x300000004\n", want: 0x300000004},
		{name: "not serving", resp: "This ZooKeeper instance is not currently serving requests\n", wantErr: true},
		{name: "garbled", resp: "Zxid: 0xzz\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseZxid(tt.resp)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseZxid = %#x, %v; want %#x, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// recordingTB records how unavailable ended the test.
type recordingTB struct {
	testing.TB
	fataled, skipped bool
	msg              string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatalf(f string, a ...any) {
	r.fataled, r.msg = true, fmt.Sprintf(f, a...)
}
func (r *recordingTB) Skipf(f string, a ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(f, a...)
}

func TestUnavailableFailsUnderCI(t *testing.T) {
	cause := fmt.Errorf("%w: java missing", ErrNotInstalled)
	tests := []struct {
		name      string
		ci        string
		err       error
		wantFatal bool
	}{
		{name: "CI set fails", ci: "true", err: cause, wantFatal: true},
		{name: "CI unset skips", ci: "", err: cause, wantFatal: false},
		{name: "bad options fail without CI", ci: "", err: fmt.Errorf("%w: x", ErrBadOptions), wantFatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recordingTB{TB: t}
			unavailable(r, tt.err)
			if r.fataled != tt.wantFatal || r.skipped == tt.wantFatal {
				t.Fatalf("fataled=%v skipped=%v, want fatal=%v", r.fataled, r.skipped, tt.wantFatal)
			}
			if !strings.Contains(r.msg, tt.err.Error()) {
				t.Fatalf("message %q does not give the reason %q", r.msg, tt.err)
			}
		})
	}
}

// procsMentioning returns the pids of live processes whose command line
// contains s (read-only scan of /proc).
func procsMentioning(t *testing.T, s string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestServerRestartKeepsData(t *testing.T) {
	out := &testenv.Buffer{}
	s := Start(t, Options{Stdout: out})
	if m, err := s.Mode(); err != nil || m != "standalone" {
		t.Fatalf("Mode() = %q, %v; want standalone", m, err)
	}
	if resp, err := FourLetter(s.Addr, "ruok", 2*time.Second); err != nil || resp != "imok" {
		t.Fatalf("ruok = %q, %v; want imok", resp, err)
	}
	if err := s.Start(); !errors.Is(err, ErrRunning) {
		t.Fatalf("Start() on a running server = %v, want ErrRunning", err)
	}
	conn := connect(t, s.Addr)
	if _, err := conn.Create("/kept", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create /kept: %v", err)
	}
	conn.Close()

	pid, addr := s.PID(), s.Addr
	for _, stop := range []struct {
		name string
		fn   func() error
	}{{"Stop", s.Stop}, {"Kill", s.Kill}} {
		if err := stop.fn(); err != nil {
			t.Fatalf("%s(): %v", stop.name, err)
		}
		if !strings.Contains(out.String(), "QuorumPeerConfig") {
			t.Fatalf("Options.Stdout did not get the JVM log; got %d bytes", len(out.String()))
		}
		if s.Running() || s.PID() != 0 {
			t.Fatalf("after %s: Running()=%v PID()=%d, want false, 0", stop.name, s.Running(), s.PID())
		}
		if err := stop.fn(); err != nil {
			t.Fatalf("second %s() = %v, want nil (idempotent)", stop.name, err)
		}
		if _, err := FourLetter(s.Addr, "ruok", time.Second); err == nil {
			t.Fatalf("after %s: ruok still answered", stop.name)
		}
		if err := s.Pause(); !errors.Is(err, ErrNotRunning) {
			t.Fatalf("Pause() on stopped server = %v, want ErrNotRunning", err)
		}
		if err := s.Start(); err != nil {
			t.Fatalf("restart after %s: %v", stop.name, err)
		}
		if s.Addr != addr || s.PID() == pid || s.PID() == 0 {
			t.Fatalf("after restart: addr %s pid %d; want addr %s and a new pid (old %d)", s.Addr, s.PID(), addr, pid)
		}
		mustGet(t, "/kept", "v1", s.Addr)
	}
}

func TestStartFailureReportsLogTailAndCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // so we can see what StartServer leaves behind
	if err := EnsureInstalled(); err != nil {
		unavailable(t, err)
	}
	_, err := StartServer(Options{ExtraConfig: []string{"secureClientPort=notaport"}})
	if !errors.Is(err, ErrExited) {
		t.Fatalf("StartServer with a bad zoo.cfg = %v, want ErrExited", err)
	}
	if !strings.Contains(err.Error(), "notaport") {
		t.Errorf("error lacks the JVM's complaint from zk.log: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("StartServer left %d entries in TMPDIR (first %s)", len(left), left[0].Name())
	}
}

func TestEnsembleFailover(t *testing.T) {
	e := StartEnsemble(t, 3)
	if got := len(strings.Split(e.ConnString(), ",")); got != 3 {
		t.Fatalf("ConnString() = %q, want 3 addresses", e.ConnString())
	}
	leader, err := e.Leader()
	if err != nil {
		t.Fatalf("Leader(): %v", err)
	}
	followers := e.Followers()
	if len(followers) != 2 {
		t.Fatalf("Followers() = %d servers, want 2", len(followers))
	}
	conn := connect(t, e.Addrs()...)
	if _, err := conn.Create("/failover", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create /failover: %v", err)
	}
	conn.Close()

	t.Run("pause and resume a follower", func(t *testing.T) {
		f := followers[0]
		if err := f.Pause(); err != nil {
			t.Fatalf("Pause(): %v", err)
		}
		if _, err := FourLetter(f.Addr, "ruok", 500*time.Millisecond); err == nil {
			t.Fatalf("paused server answered ruok")
		}
		if !f.Running() {
			t.Fatalf("paused server not Running()")
		}
		if err := f.Resume(); err != nil {
			t.Fatalf("Resume(): %v", err)
		}
		if err := WaitServing(f.Addr, 30*time.Second); err != nil {
			t.Fatalf("resumed follower: %v", err)
		}
	})

	t.Run("killing the leader elects another", func(t *testing.T) {
		if err := leader.Kill(); err != nil {
			t.Fatalf("Kill(): %v", err)
		}
		next, err := e.waitLeader(30 * time.Second)
		if err != nil {
			t.Fatalf("no new leader: %v", err)
		}
		if next.ID == leader.ID {
			t.Fatalf("new leader is the killed server %d", next.ID)
		}
		mustGet(t, "/failover", "x", next.Addr)
		if err := leader.Start(); err != nil {
			t.Fatalf("restart old leader: %v", err)
		}
		if m, err := leader.Mode(); err != nil || m != "follower" {
			t.Fatalf("restarted old leader Mode() = %q, %v; want follower", m, err)
		}
	})
}

func TestEnsemblePartialFailureCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := EnsureInstalled(); err != nil {
		unavailable(t, err)
	}
	var root string
	breakThird := func(e *Ensemble) error {
		root = e.root
		f, err := os.OpenFile(e.Servers[2].cfgPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString("secureClientPort=notaport\n")
		return err
	}
	// Members 1 and 2 form a quorum and serve; member 3 exits on its config.
	_, err := startEnsembleOnce(3, Options{}.withDefaults(), breakThird)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "server 3") {
		t.Fatalf("start with a broken member 3 = %v, want ErrExited naming server 3", err)
	}
	if pids := procsMentioning(t, root); len(pids) != 0 {
		t.Errorf("processes still running from %s: %v", root, pids)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left %d entries in TMPDIR (first %s)", len(left), left[0].Name())
	}
}

func TestEnsembleOfOneIsStandalone(t *testing.T) {
	e := StartEnsemble(t, 1)
	l, err := e.Leader()
	if err != nil || l != e.Servers[0] {
		t.Fatalf("Leader() = %v, %v; want the only server", l, err)
	}
	if m, err := l.Mode(); err != nil || m != "standalone" {
		t.Fatalf("Mode() = %q, %v; want standalone", m, err)
	}
}

// TestLocalSessions counts the transactions of a session by the server's
// zxid: with local sessions a session that only reads costs none, and one
// that creates an ephemeral node is upgraded (one transaction) before it.
func TestLocalSessions(t *testing.T) {
	SkipShort(t)
	for _, tt := range []struct {
		name  string
		local bool
		mode  string
		reads int64 // a session that reads and closes
		eph   int64 // one that creates an ephemeral node and closes
	}{
		{"standalone", false, "standalone", 2, 3},
		{"a quorum of one with local sessions", true, "leader", 0, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, Options{LocalSessions: tt.local})
			if m, err := s.Mode(); err != nil || m != tt.mode {
				t.Fatalf("Mode() = %q, %v; want %s", m, err, tt.mode)
			}
			cost := func(ephemeral bool) int64 {
				before, err := Zxid(s.Addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c, err := Connect([]string{s.Addr}, 5*time.Second, 20*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.Get("/"); err != nil {
					t.Fatal(err)
				}
				if ephemeral {
					if _, err := c.Create("/e", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
						t.Fatal(err)
					}
				}
				c.Close() // waits for the close's answer
				after, err := Zxid(s.Addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				return after - before
			}
			if got := cost(false); got != tt.reads {
				t.Errorf("a reading session cost %d transactions, want %d", got, tt.reads)
			}
			if got := cost(true); got != tt.eph {
				t.Errorf("a session with an ephemeral node cost %d transactions, want %d", got, tt.eph)
			}
		})
	}
}

// helperEnv makes the test binary act as a program that starts a server and
// then waits to be killed (see TestServerDiesWithItsParent).
const helperEnv = "ZKTEST_PDEATHSIG_HELPER"

func TestPdeathsigHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper process for TestServerDiesWithItsParent")
	}
	s, err := StartServer(Options{})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("pid %d dir %s\n", s.PID(), s.Dir)
	time.Sleep(time.Minute) // the parent test SIGKILLs us long before this
	_ = s.Close()
}

// TestServerDiesWithItsParent checks Pdeathsig: when the program that
// started a server is SIGKILLed (no cleanup runs), the kernel kills the JVM.
func TestServerDiesWithItsParent(t *testing.T) {
	if err := EnsureInstalled(); err != nil {
		unavailable(t, err)
	}
	helper, pid, dir := startHelperServer(t)
	if pids := procsMentioning(t, dir); len(pids) != 1 || pids[0] != pid {
		t.Fatalf("processes running from %s = %v, want just the JVM %d", dir, pids, pid)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for len(procsMentioning(t, dir)) > 0 {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // our own grandchild: do not leak it
			t.Fatalf("JVM %d still running 10s after its parent was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startHelperServer runs TestPdeathsigHelper in a child test binary and
// returns it with its server's JVM pid and directory (removed at cleanup).
func startHelperServer(t *testing.T) (*exec.Cmd, int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPdeathsigHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "pid ") || strings.HasPrefix(sc.Text(), "error ") {
				lines <- sc.Text()
				return
			}
		}
	}()
	var pid int
	var dir string
	select {
	case line := <-lines:
		if _, err := fmt.Sscanf(line, "pid %d dir %s", &pid, &dir); err != nil || dir == "" {
			t.Fatalf("helper said %q", line)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("helper did not start a server within 45s")
	}
	// The helper is killed before its own cleanup could remove the directory.
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return cmd, pid, dir
}

func TestInstallScriptQuietWhenInstalled(t *testing.T) {
	if err := EnsureInstalled(); err != nil {
		unavailable(t, err)
	}
	script, err := findInstallScript()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("%s = %v with output %q; want success and no output", script, err, out)
	}
}

func TestSwitchmanConfig(t *testing.T) {
	tests := []struct {
		name string
		c    SwitchmanConfig
		want string
	}{
		{"yaml in key order, empty keys left out",
			SwitchmanConfig{Hosts: "a:1,b:2", Prefix: "/p", ConnectTimeout: "0.5", Loglevel: "debug", Extra: []string{"auth_file: /s", "tls:", "  ca: /ca"}},
			"zkhosts: a:1,b:2\nprefix: /p\nconnect_timeout: 0.5\nloglevel: debug\nauth_file: /s\ntls:\n  ca: /ca\n"},
		{"json: numbers stay numbers",
			SwitchmanConfig{JSON: true, Hosts: "a:1", Prefix: "/p", SessionTimeout: "4s", TerminationTimeout: "30", Extra: []string{`"comment": "x"`}},
			"{\n  \"zkhosts\": \"a:1\",\n  \"prefix\": \"/p\",\n  \"session_timeout\": \"4s\",\n  \"termination_timeout\": 30,\n  \"comment\": \"x\"\n}\n"},
		{"base: keys replaced in place, missing ones appended",
			SwitchmanConfig{Base: "# installed\nzkhosts: zk1:2181\nlogfile: /var/log/x\nprefix: /old", Hosts: "a:1", Prefix: "/p", Loglevel: "info", Extra: []string{"hostname: h"}},
			"# installed\nzkhosts: a:1\nlogfile: /var/log/x\nprefix: /p\nloglevel: info\nhostname: h\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			p := WriteConfig(t, filepath.Join(t.TempDir(), "c"), tt.c)
			if b, err := os.ReadFile(p); err != nil || string(b) != tt.want {
				t.Errorf("written %q, %v; want %q", b, err, tt.want)
			}
		})
	}
	if err := (SwitchmanConfig{JSON: true, Base: "x: y\n"}).Write(filepath.Join(t.TempDir(), "c")); !errors.Is(err, ErrBadOptions) {
		t.Errorf("JSON with Base: %v, want ErrBadOptions", err)
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1", 1500 * time.Millisecond: "1.5", 250 * time.Millisecond: "0.25"} {
		if got := Seconds(d); got != want {
			t.Errorf("Seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
