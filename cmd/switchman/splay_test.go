package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/job"
)

// splayLock returns a lock name whose --splay offset on host falls in
// [lo, hi) of a window d, so that a test knows how long the run waits.
func splayLock(t *testing.T, host string, d, lo, hi time.Duration) (string, time.Duration) {
	t.Helper()
	for i := range 1000 {
		name := fmt.Sprintf("splay-%d", i)
		if off := job.SplayOffset(name, host, d); off >= lo && off < hi {
			return name, off
		}
	}
	t.Fatalf("no lock name with an offset in [%v, %v)", lo, hi)
	return "", 0
}

// requestsSince returns a counter of the requests the server at addr has
// read since the call, less those of its own readings (mntr counts
// itself; see TestRunRoundTrips).
func requestsSince(t *testing.T, addr string) func() int64 {
	t.Helper()
	read := func() int64 {
		n, err := zktest.Mntr(addr, "zk_packets_received", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := read()
	probe := read() - base
	base += probe
	reads := int64(0)
	return func() int64 {
		reads++
		return read() - base - reads*probe
	}
}

// TestSplaySpreadsBeforeConnecting runs switchman --splay against a real
// server: the child starts no sooner than the run's offset, the server
// reads no request from the run before the offset has passed (the session
// is opened after the wait, so the wait costs ZooKeeper nothing), and the
// START line and the run record carry the offset.
func TestSplaySpreadsBeforeConnecting(t *testing.T) {
	srv := zktest.Start(t)
	e := newEnv(t, srv, `{}`)
	e.admin.Close() // its pings would count as requests
	const host = "h1.example.com"
	lock, off := splayLock(t, host, 4*time.Second, 1500*time.Millisecond, 3*time.Second)
	started := filepath.Join(e.dir, "started")
	c := e.cmd(append([]string{"--hostname", host, "--lockname", lock, "--splay", "4s"},
		sh("date +%s%N > "+started)...)...)
	var errb bytes.Buffer
	c.Stderr = &errb
	requests := requestsSince(t, srv.Addr)
	t0 := time.Now()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Late in the wait (the binary starts within a few hundred ms), the
	// server has read nothing from the run: only the probe's own mntr.
	time.Sleep(off - 500*time.Millisecond)
	during := requests()
	if !waitOrKill(c, 60*time.Second) {
		t.Fatalf("switchman did not finish; stderr: %s", errb.String())
	}
	if code := c.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if during != 0 {
		t.Errorf("the server read %d requests during the splay wait, want 0", during)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(waitFile(t, started, 5*time.Second)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if late := time.Unix(0, ns).Sub(t0); late < off {
		t.Errorf("the child started %v after switchman, before the offset %v", late, off)
	}
	conn, err := zktest.Connect([]string{srv.Addr}, 5*time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, _, err := conn.Get(e.prefix + "/runs/" + lock + "/" + host)
	if err != nil {
		t.Fatal(err)
	}
	var rec fleet.Run
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.SplayMS != off.Milliseconds() || rec.Result != fleet.ResultSuccess {
		t.Errorf("run record %s: want splay_ms %d and success", b, off.Milliseconds())
	}
	logText, _ := os.ReadFile(e.conf.Logfile)
	if !strings.Contains(string(logText), fmt.Sprintf(`"splay_ms":%d`, off.Milliseconds())) {
		t.Errorf("no START line with splay_ms %d in the log:\n%s", off.Milliseconds(), logText)
	}
}

// TestSplayStopSignal stops a run during its splay wait: it ends as a
// signal before the start (128+15), the command never runs, and the server
// never hears from it.
func TestSplayStopSignal(t *testing.T) {
	srv := zktest.Start(t)
	e := newEnv(t, srv, `{}`)
	e.admin.Close()
	const host = "h1.example.com"
	lock, _ := splayLock(t, host, 10*time.Second, 5*time.Second, 10*time.Second)
	requests := requestsSince(t, srv.Addr)
	ran := filepath.Join(e.dir, "ran")
	c := e.cmd(append([]string{"--hostname", host, "--lockname", lock, "--splay", "10s"}, sh("touch "+ran)...)...)
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // past the binary's start: the signal handler is in place
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !waitOrKill(c, 30*time.Second) {
		t.Fatalf("switchman did not stop; stderr: %s", errb.String())
	}
	if code := c.ProcessState.ExitCode(); code != 128+15 {
		t.Errorf("exit %d, want 143; stderr: %s", code, errb.String())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the stop took %v: the wait was not cut short", took)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the command ran")
	}
	if n := requests(); n != 0 {
		t.Errorf("the server read %d requests from a run stopped in its splay, want 0", n)
	}
}
