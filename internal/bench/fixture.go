package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

// Names the bench gives the fleet it simulates.
const (
	prefix    = "/bench"
	group     = "benchgroup"
	benchHost = "bench-host.example"
	// memberData lists leasebench's resource for the lease benchmark.
	memberData = `{"groups": {"benchgroup": ["bench-host.example"]}, "resources": ["r"]}`
	// movedData moves the group to another host: the group-move reaction.
	movedData = `{"groups": {"benchgroup": ["elsewhere.example"]}, "resources": ["r"]}`
)

// Session timeouts. The everyday config uses switchman's default (10s);
// the self-fencing config uses a short one so that each freeze costs a few
// seconds, and a termination grace long enough to be capped by switchman's
// own fencing arithmetic (0.18 of the session timeout).
const (
	defaultSession = 10 * time.Second
	fenceSession   = 3 * time.Second
	fenceGrace     = time.Second
	// adminSession is the bench's own session: long enough to outlive every
	// freeze of the self-fencing measurement.
	adminSession = 30 * time.Second
)

// fixture is a private ZooKeeper with the prefix znode, the bench's admin
// connection, the config files and a scratch directory.
type fixture struct {
	bin  string // switchman, absolute path
	self string // this program, re-executed as the job
	dir  string
	srv  *zktest.Server
	zk   *zk.Conn

	cfg      string // everyday config
	fenceCfg string // short session timeout
	// noCgroupCfg is the everyday config with cgroup: off: runs get no
	// cgroup of their own, whatever the host allows.
	noCgroupCfg string
	seq         atomic.Int64
	// built holds the programs built for comparison, by name: each is
	// built once however many phases run it.
	built map[string]string
}

// program returns the program name, built by build the first time.
func (f *fixture) program(name string, build func() (string, error)) (string, error) {
	if bin, ok := f.built[name]; ok {
		return bin, nil
	}
	bin, err := build()
	if err != nil {
		return "", err
	}
	if f.built == nil {
		f.built = map[string]string{}
	}
	f.built[name] = bin
	return bin, nil
}

// goProgram is buildGo's program name from src, built once.
func (f *fixture) goProgram(ctx context.Context, name, src string) (string, error) {
	return f.program(name, func() (string, error) { return buildGo(ctx, f.dir, name, src) })
}

// zkFloor is internal/bench/zkfloor, built once.
func (f *fixture) zkFloor(ctx context.Context) (string, error) {
	return f.program("zkfloor", func() (string, error) { return buildZKFloor(ctx, f.dir) })
}

// newFixture starts ZooKeeper and prepares everything a switchman run
// needs. The caller must call close.
func newFixture(bin string) (*fixture, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	dir, err := os.MkdirTemp("", "switchman-bench-")
	if err != nil {
		return nil, err
	}
	f := &fixture{bin: bin, self: self, dir: dir}
	// switchman's heartbeat stamp (cmd/switchman/heartbeat.go) goes to
	// the bench's own directory, not the user's cache; every process the
	// bench starts inherits this.
	if err := testenv.Isolate(dir); err != nil {
		f.close()
		return nil, err
	}
	if f.srv, err = zktest.StartServer(zktest.Options{}); err != nil {
		f.close()
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	if err := f.connect(); err != nil {
		f.close()
		return nil, err
	}
	if err := f.writeConfigs(); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// connect opens the admin session and creates the prefix znode with the
// group data; switchman itself creates locks/ when missing.
func (f *fixture) connect() error {
	conn, err := zktest.Connect([]string{f.srv.Addr}, adminSession, 10*time.Second)
	if err != nil {
		return err
	}
	f.zk = conn
	if _, err := conn.Create(prefix, []byte(memberData), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return fmt.Errorf("create %s: %w", prefix, err)
	}
	return nil
}

func (f *fixture) writeConfigs() error {
	write := func(name string, session, grace time.Duration, extra ...string) (string, error) {
		p := filepath.Join(f.dir, name)
		return p, zktest.SwitchmanConfig{Hosts: f.srv.Addr, Prefix: prefix,
			SessionTimeout: zktest.Seconds(session), TerminationTimeout: zktest.Seconds(grace), Extra: extra}.Write(p)
	}
	var err error
	if f.cfg, err = write("switchman.yaml", defaultSession, time.Second); err != nil {
		return err
	}
	if f.noCgroupCfg, err = write("nocgroup.yaml", defaultSession, time.Second, "cgroup: off"); err != nil {
		return err
	}
	f.fenceCfg, err = write("fence.yaml", fenceSession, fenceGrace)
	return err
}

func (f *fixture) close() {
	if f.zk != nil {
		f.zk.Close()
	}
	if f.srv != nil {
		f.srv.Close()
	}
	os.RemoveAll(f.dir)
}

// packetsReceived reads zk_packets_received from the server's mntr: every
// request a client sent, pings and session handshakes included.
// mntrCost measures how many packets one packetsReceived call itself adds
// to the count: the least delta of back-to-back reads.
func (f *fixture) mntrCost() (int64, error) {
	least := int64(-1)
	prev, err := f.packetsReceived()
	if err != nil {
		return 0, err
	}
	for range 5 {
		cur, err := f.packetsReceived()
		if err != nil {
			return 0, err
		}
		if d := cur - prev; least < 0 || d < least {
			least = d
		}
		prev = cur
	}
	return least, nil
}

func (f *fixture) packetsReceived() (int64, error) {
	out, err := zktest.FourLetter(f.srv.Addr, "mntr", 5*time.Second)
	if err != nil {
		return 0, err
	}
	return mntrValue(out, "zk_packets_received")
}

// mntrValue returns the integer value of key in an mntr response.
func mntrValue(out, key string) (int64, error) {
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if ok && k == key {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("mntr has no %s", key)
}

// lockCversion returns the child version of PREFIX/locks: it grows by one
// on every lock node created and every one deleted, which proves how many
// runs really took and released a lock.
func (f *fixture) lockCversion() (int32, error) {
	_, st, err := f.zk.Get(prefix + "/locks")
	if err != nil {
		return 0, fmt.Errorf("read %s/locks: %w", prefix, err)
	}
	return st.Cversion, nil
}

// waitJob is one switchman run whose job is this program in "wait" mode:
// it reports when it is ready and when SIGTERM reached it.
type waitJob struct {
	cmd         *exec.Cmd
	ready, term string
	stderr      bytes.Buffer
	done        chan struct{}
	err         error
}

// startWait starts switchman with the given config and flags around a
// waiting child.
func (f *fixture) startWait(cfg string, flags ...string) (*waitJob, error) {
	n := f.seq.Add(1)
	j := &waitJob{
		ready: filepath.Join(f.dir, fmt.Sprintf("ready-%d", n)),
		term:  filepath.Join(f.dir, fmt.Sprintf("term-%d", n)),
		done:  make(chan struct{}),
	}
	args := append([]string{"-c", cfg}, flags...)
	args = append(args, "--", f.self)
	j.cmd = exec.Command(f.bin, args...)
	j.cmd.Env = append(os.Environ(), envChild+"=wait", envReady+"="+j.ready, envTerm+"="+j.term)
	j.cmd.Stderr = &j.stderr
	if err := j.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start switchman: %w", err)
	}
	go func() {
		j.err = j.cmd.Wait()
		close(j.done)
	}()
	return j, nil
}

// waitReady waits until the child has its TERM handler and returns what
// it wrote: switchman's lock environment.
func (j *waitJob) waitReady(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if b, err := os.ReadFile(j.ready); err == nil {
			return string(b), nil
		}
		select {
		case <-j.done:
			return "", fmt.Errorf("switchman exited before its child was ready: %v: %q", j.err, j.stderrText())
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			j.kill()
			return "", fmt.Errorf("child not ready within %s", timeout)
		}
	}
}

// waitExit waits for switchman to exit and returns its exit status.
func (j *waitJob) waitExit(timeout time.Duration) (int, error) {
	select {
	case <-j.done:
	case <-time.After(timeout):
		j.kill()
		return -1, fmt.Errorf("switchman did not exit within %s", timeout)
	}
	return j.cmd.ProcessState.ExitCode(), nil
}

// waitLost waits up to 10s for switchman to exit and checks that it
// exited with exitLost, having stopped its child for a lost lock.
func (j *waitJob) waitLost() error {
	code, err := j.waitExit(10 * time.Second)
	if err != nil {
		return err
	}
	if code != exitLost {
		return fmt.Errorf("switchman exited %d, want %d (stderr: %q)", code, exitLost, j.stderrText())
	}
	return nil
}

// termAt returns when the child received SIGTERM.
func (j *waitJob) termAt() (time.Time, error) {
	b, err := os.ReadFile(j.term)
	if err != nil {
		return time.Time{}, fmt.Errorf("the child recorded no SIGTERM: %w (switchman stderr: %q)", err, j.stderrText())
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad SIGTERM record %q: %w", b, err)
	}
	return time.Unix(0, ns), nil
}

// waitTerm polls for the child's SIGTERM record, bounded.
func (j *waitJob) waitTerm(ctx context.Context) (time.Time, error) {
	for {
		if _, err := os.Stat(j.term); err == nil {
			return j.termAt()
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("no SIGTERM: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// kill ends switchman (its child dies with it: Pdeathsig) and waits.
func (j *waitJob) kill() {
	_ = j.cmd.Process.Kill()
	select {
	case <-j.done:
	case <-time.After(5 * time.Second):
	}
}

// stderrText returns what switchman printed, once it has exited (the
// buffer is written by exec's copier until then).
func (j *waitJob) stderrText() string {
	select {
	case <-j.done:
		return strings.TrimSpace(j.stderr.String())
	default:
		return "(still running)"
	}
}
