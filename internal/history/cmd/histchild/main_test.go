package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/internal/history"
)

// asMainEnv makes the test binary behave as histchild, the os/exec tests'
// trick: the children under test are real processes without a separate build.
const asMainEnv = "HISTCHILD_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is a histchild process started by a test in its own process group.
type child struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

// startChild runs histchild with args, the switchman environment and a fresh
// log, in a new process group that is SIGKILLed when the test ends.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	log := filepath.Join(t.TempDir(), "history.log")
	cmd := exec.Command(os.Args[0], append([]string{"-log", log}, args...)...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1",
		"SWITCHMAN_LOCK=nightly", "SWITCHMAN_HOST=host-a", "SWITCHMAN_FENCING_TOKEN=42",
		"SWITCHMAN_GROUP=reports", "SWITCHMAN_LEASES=db=1:4")
	// Own process group, as switchman starts it, so cleanup reaches grandchildren.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if stderr.Len() > 0 {
			t.Logf("histchild stderr: %s", stderr.String())
		}
	})
	return c
}

// wait returns the child's exit error, failing the test after 10s.
func (c *child) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("histchild did not exit within 10s")
		return nil
	}
}

// waitStarted waits (at most 5s) until the start line is in the log.
func (c *child) waitStarted(t *testing.T) history.Run {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if runs, err := history.ParseFile(c.log); err == nil && len(runs) == 1 {
			return runs[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no start line in the log within 5s")
	return history.Run{}
}

func (c *child) runs(t *testing.T) []history.Run {
	t.Helper()
	runs, err := history.ParseFile(c.log)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestNormalExit(t *testing.T) {
	c := startChild(t, "-min", "50ms", "-max", "50ms", "-exit", "3")
	err := c.wait(t)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want status 3", err)
	}
	runs := c.runs(t)
	if len(runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(runs))
	}
	r := runs[0]
	if r.Lock != "nightly" || r.Host != "host-a" || r.PID != c.cmd.Process.Pid || !r.Ended {
		t.Errorf("run %+v: want nightly@host-a pid %d ended", r, c.cmd.Process.Pid)
	}
	if d := r.End.Sub(r.Start); d < 50*time.Millisecond {
		t.Errorf("run lasted %v, want at least the 50ms sleep", d)
	}
	want := map[string]string{"token": "42", "group": "reports", "leases": "db=1:4", "exit": "normal"}
	for k, v := range want {
		if r.Extra[k] != v {
			t.Errorf("extra %s = %q, want %q", k, r.Extra[k], v)
		}
	}
}

func TestTermEndsRun(t *testing.T) {
	c := startChild(t, "-min", "20s", "-max", "20s")
	c.waitStarted(t)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := c.wait(t)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("exit %v, want death by SIGTERM", err)
	}
	r := c.runs(t)[0]
	if !r.Ended || r.Extra["exit"] != "term" {
		t.Errorf("run %+v: want ended with exit=term", r)
	}
	if d := r.End.Sub(r.Start); d > 15*time.Second {
		t.Errorf("run lasted %v: TERM did not cut the 20s sleep short", d)
	}
}

func TestKillLeavesStartLine(t *testing.T) {
	c := startChild(t, "-min", "20s", "-max", "20s")
	started := c.waitStarted(t)
	if started.Ended || started.Extra["token"] != "42" {
		t.Fatalf("start line %+v: want unended with token 42", started)
	}
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.wait(t)
	runs := c.runs(t)
	if len(runs) != 1 || runs[0].Ended || !runs[0].End.IsZero() {
		t.Fatalf("runs %+v: want one run without an end", runs)
	}
}

func TestIgnoreTerm(t *testing.T) {
	c := startChild(t, "-min", "1500ms", "-max", "1500ms", "-ignore-term")
	c.waitStarted(t)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.done:
		t.Fatalf("histchild -ignore-term exited on SIGTERM: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := c.wait(t); err != nil {
		t.Fatalf("exit %v, want 0 after the sleep", err)
	}
	r := c.runs(t)[0]
	if r.Extra["exit"] != "normal" || r.Extra["terms"] != "1" {
		t.Errorf("run extras %v: want exit=normal terms=1", r.Extra)
	}
}

func TestForkGrandchildren(t *testing.T) {
	c := startChild(t, "-min", "20s", "-max", "20s", "-fork", "2", "-grandchild-sleep", "30s", "-ignore-term")
	r := c.waitStarted(t)
	pids := strings.Split(r.Extra["grandchildren"], ",")
	if len(pids) != 2 {
		t.Fatalf("grandchildren %q: want two pids", r.Extra["grandchildren"])
	}
	for _, p := range pids {
		pid, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("grandchild pid %q: %v", p, err)
		}
		pgid, err := syscall.Getpgid(pid)
		if err != nil {
			t.Fatalf("grandchild %d not running: %v", pid, err)
		}
		if pgid != c.cmd.Process.Pid {
			t.Errorf("grandchild %d in process group %d, want the child's %d", pid, pgid, c.cmd.Process.Pid)
		}
		// They ignore TERM like their parent: only the group KILL stops
		// them. (Once they have set it up: a TERM before that kills.)
		waitIgnoresTerm(t, pid)
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	time.Sleep(200 * time.Millisecond)
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		if !history.Alive(pid) {
			t.Errorf("grandchild %d died of SIGTERM under -ignore-term", pid)
		}
	}
	// The recorded start times name these very processes: a process
	// with the same pid that started at another time is not them.
	procs := r.Procs()
	if len(procs) != 3 || procs[0].PID != c.cmd.Process.Pid {
		t.Fatalf("Procs() = %v: want the child and two grandchildren", procs)
	}
	for _, p := range procs {
		if p.Ticks == 0 || !p.Alive() {
			t.Errorf("%+v: want a recorded start time and alive", p)
		}
		if other := (history.Proc{PID: p.PID, Ticks: p.Ticks + 1}); other.Alive() {
			t.Errorf("%+v counts as alive with another start time", other)
		}
	}
	if err := syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.wait(t)
	for _, p := range procs {
		if p.WaitGone(5 * time.Second).IsZero() {
			t.Errorf("%+v still alive 5s after the group's SIGKILL", p)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no log", nil, nil, "-log (or HISTCHILD_LOG) is required"},
		{"min above max", []string{"-log", "x", "-min", "2s", "-max", "1s"}, nil, "-min 2s -max 1s"},
		{"bad env duration", []string{"-log", "x"}, map[string]string{"HISTCHILD_MIN": "soon"}, `HISTCHILD_MIN="soon"`},
		{"bad env int", []string{"-log", "x"}, map[string]string{"HISTCHILD_FORK": "two"}, `HISTCHILD_FORK="two"`},
		{"stray argument", []string{"-log", "x", "extra"}, nil, `unexpected argument "extra"`},
		{"unknown flag", []string{"-bogus"}, nil, "flag provided but not defined"},
		{"exit out of range", []string{"-log", "x", "-exit", "200"}, nil, "-exit 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(tt.args, func(k string) string { return tt.env[k] }, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run = %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}

func TestEnvConfig(t *testing.T) {
	log := filepath.Join(t.TempDir(), "h.log")
	env := map[string]string{"HISTCHILD_LOG": log, "HISTCHILD_MIN": "1ms", "HISTCHILD_MAX": "2ms",
		"SWITCHMAN_LOCK": "l", "SWITCHMAN_HOST": "h"}
	var stderr bytes.Buffer
	if code := run(nil, func(k string) string { return env[k] }, &stderr); code != 0 {
		t.Fatalf("run = %d, stderr %q", code, stderr.String())
	}
	runs, err := history.ParseFile(log)
	if err != nil || len(runs) != 1 || !runs[0].Ended || runs[0].Lock != "l" {
		t.Fatalf("runs %+v, err %v: want one ended run of lock l", runs, err)
	}
}

// TestWaitWrapper runs history.WaitWrapper over real processes: a wrapper
// that exits 3 while its histchild still runs (the child's pid is learnt
// from the log and its death dated after the wrapper's exit), and one that
// a signal kills before any child starts.
func TestWaitWrapper(t *testing.T) {
	// Alive knows a child by its process name: run this binary as
	// "histchild".
	named := filepath.Join(t.TempDir(), "histchild")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(named, self, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "history.log")
	wrapper := exec.Command("/bin/sh", "-c", `"$0" "$@" & while [ ! -s "$LOGF" ]; do sleep 0.01; done; exit 3`,
		named, "-log", log, "-min", "400ms", "-max", "400ms")
	wrapper.Env = append(os.Environ(), asMainEnv+"=1", "LOGF="+log,
		"SWITCHMAN_LOCK=nightly", "SWITCHMAN_HOST=host-a", "SWITCHMAN_FENCING_TOKEN=42")
	if err := wrapper.Start(); err != nil {
		t.Fatal(err)
	}
	r := history.WaitWrapper(wrapper, log, 5*time.Millisecond)
	if r.Code != 3 || r.Signal != "" || r.PID == 0 || r.PID != history.StartedPID(log) ||
		r.Dead.IsZero() || !r.Dead.After(r.Exited) {
		t.Errorf("WaitWrapper = %+v; want exit 3, the child's pid %d, seen dead after the wrapper", r, history.StartedPID(log))
	}

	killed := exec.Command("/bin/sh", "-c", `kill -TERM $$`)
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	r = history.WaitWrapper(killed, filepath.Join(t.TempDir(), "none.log"), 5*time.Millisecond)
	if r.Signal != syscall.SIGTERM.String() || r.PID != 0 || !r.Dead.IsZero() {
		t.Errorf("WaitWrapper of a killed wrapper = %+v; want SIGTERM, no child", r)
	}
}

// waitIgnoresTerm waits (at most 5s) until pid ignores SIGTERM, as its
// /proc status shows (SigIgn, bit 15).
func waitIgnoresTerm(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		for _, line := range strings.Split(string(b), "\n") {
			if hex, ok := strings.CutPrefix(line, "SigIgn:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64); err == nil && m&(1<<(syscall.SIGTERM-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d does not ignore SIGTERM after 5s", pid)
}
