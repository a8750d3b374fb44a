package supervise

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/acme/switchman/internal/procstat"
	"github.com/acme/switchman/internal/testenv"
)

// testWait bounds every wait in these tests; nothing should come close.
const testWait = 10 * time.Second

// helperOptions returns Options running this test binary as helper mode.
func helperOptions(mode string, args ...string) Options {
	return Options{Path: os.Args[0], Args: args, Env: helperEnvFor(mode), Grace: 5 * time.Second}
}

// lines reads a child's output line by line.
type lines struct {
	ch   chan string
	seen []string
}

func readLines(r io.Reader) *lines {
	l := &lines{ch: make(chan string, 64)}
	go func() {
		defer close(l.ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.ch <- sc.Text()
		}
	}()
	return l
}

// expect finds the first line starting with prefix, among those skipped
// earlier (kept in seen) or, waiting, among those to come, and returns the
// rest of the line.
func (l *lines) expect(t *testing.T, prefix string) string {
	t.Helper()
	for i, line := range l.seen {
		if strings.HasPrefix(line, prefix) {
			l.seen = append(l.seen[:i], l.seen[i+1:]...)
			return strings.TrimPrefix(line, prefix)
		}
	}
	timeout := time.After(testWait)
	for {
		select {
		case line, ok := <-l.ch:
			if !ok {
				t.Fatalf("output ended before a line starting with %q; saw %q", prefix, l.seen)
			}
			if strings.HasPrefix(line, prefix) {
				return strings.TrimPrefix(line, prefix)
			}
			l.seen = append(l.seen, line)
		case <-timeout:
			t.Fatalf("no line starting with %q within %v; saw %q", prefix, testWait, l.seen)
		}
	}
}

// rest returns the remaining lines up to EOF.
func (l *lines) rest(t *testing.T) []string {
	t.Helper()
	timeout := time.After(testWait)
	var rest []string
	for {
		select {
		case line, ok := <-l.ch:
			if !ok {
				return rest
			}
			rest = append(rest, line)
		case <-timeout:
			t.Fatalf("output did not end within %v", testWait)
		}
	}
}

// expectPID waits for a "pid N" line and returns N.
func (l *lines) expectPID(t *testing.T) int {
	t.Helper()
	pid, err := strconv.Atoi(l.expect(t, "pid "))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// startPiped starts o with its stdout on a pipe read by the returned lines.
func startPiped(t *testing.T, o Options) (*Child, *lines) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	o.Stdout = w
	c, err := Start(o)
	w.Close() // the child has its own copy
	if err != nil {
		t.Fatal(err)
	}
	return c, readLines(r)
}

// waitBounded runs c.Wait(ctx) and fails the test if it takes over testWait.
func waitBounded(t *testing.T, c *Child, ctx context.Context) Result {
	t.Helper()
	done := make(chan Result, 1)
	go func() { done <- c.Wait(ctx) }()
	select {
	case r := <-done:
		return r
	case <-time.After(testWait):
		c.Stop(syscall.SIGKILL)
		t.Fatalf("Wait did not return within %v", testWait)
		return Result{}
	}
}

// assertGone fails unless pid no longer exists: not even as a zombie.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if err := unix.Kill(pid, 0); !errors.Is(err, unix.ESRCH) {
		st, _ := procstat.Read(pid)
		t.Errorf("process %d still exists (kill 0: %v, state %q)", pid, err, st.State)
	}
}

// assertAlive fails unless pid exists and has not exited.
func assertAlive(t *testing.T, pid int) procstat.Stat {
	t.Helper()
	st, err := procstat.Read(pid)
	if err != nil || st.Zombie() {
		t.Fatalf("process %d is not running (state %q, err %v)", pid, st.State, err)
	}
	return st
}

// killByError is a stop cause with a kill deadline, like the lock package's.
type killByError struct{ at time.Time }

func (e killByError) Error() string     { return "lock: session expiring" }
func (e killByError) KillBy() time.Time { return e.at }

func TestExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     Options
		wantCode int
		wantSig  syscall.Signal
	}{
		{"exit 0", helperOptions("exit", "0"), 0, 0},
		{"exit 3", helperOptions("exit", "3"), 3, 0},
		{"exit 255", helperOptions("exit", "255"), 255, 0},
		{"sh exit 3", Options{Path: "sh", Args: []string{"-c", "exit 3"}}, 3, 0},
		{"killed by TERM", Options{Path: "/bin/sh", Args: []string{"-c", "kill -TERM $$"}}, 128 + 15, syscall.SIGTERM},
		{"killed by KILL", Options{Path: "/bin/sh", Args: []string{"-c", "kill -KILL $$"}}, 128 + 9, syscall.SIGKILL},
		{"killed by SEGV", Options{Path: "/bin/sh", Args: []string{"-c", "ulimit -c 0; kill -SEGV $$"}}, 128 + 11, syscall.SIGSEGV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Start(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			r := waitBounded(t, c, context.Background())
			if r.ExitCode != tt.wantCode || r.Signal != tt.wantSig {
				t.Errorf("exit code %d signal %v, want %d %v", r.ExitCode, r.Signal, tt.wantCode, tt.wantSig)
			}
			if r.PID != c.PID() || r.PID <= 0 {
				t.Errorf("Result.PID %d, Child.PID %d", r.PID, c.PID())
			}
			if r.Stopped || r.Killed || r.TimedOut || r.StopCause != nil {
				t.Errorf("unexpected stop: %+v", r)
			}
			if r.Wall <= 0 {
				t.Errorf("Wall %v, want > 0", r.Wall)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing absolute path", filepath.Join(dir, "nope"), ErrNotFound},
		{"missing in PATH", "switchman-no-such-command", ErrNotFound},
		{"empty", "", ErrNotFound},
		{"no execute permission", write("noexec", "#!/bin/sh\n", 0o644), ErrNotExecutable},
		{"directory", dir, ErrNotExecutable},
		{"missing interpreter", write("badinterp", "#!/nonexistent/interpreter\n", 0o755), ErrNotExecutable},
		{"not a program", write("garbage", "\x01\x02 not an executable format\n", 0o755), ErrNotExecutable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Start(Options{Path: tt.path})
			if err == nil {
				c.Wait(context.Background())
				t.Fatalf("Start(%q) succeeded, want %v", tt.path, tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Start(%q) = %v, want %v", tt.path, err, tt.want)
			}
			if prefix := "start " + strconv.Quote(tt.path) + ": " + tt.want.Error(); !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestContextCancelStopsChild(t *testing.T) {
	t.Parallel()
	var log testenv.Buffer
	o := helperOptions("trap", "50ms")
	o.Logger = zerolog.New(&log).Level(zerolog.InfoLevel)
	c, out := startPiped(t, o)
	out.expect(t, "ready")
	lost := errors.New("lock lost")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(lost)
	r := waitBounded(t, c, ctx)
	out.expect(t, "got SIGTERM")
	if r.ExitCode != 0 || !r.Stopped || r.Killed || r.TimedOut {
		t.Errorf("got %+v, want exit 0, stopped, not killed", r)
	}
	if !errors.Is(r.StopCause, lost) {
		t.Errorf("StopCause %v, want %v", r.StopCause, lost)
	}
	if log.String() != "" {
		t.Errorf("a graceful stop logged at info level or above: %q", log.String())
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  syscall.Signal
		want string
	}{
		{"default signal", 0, "got SIGTERM"},
		{"SIGINT", syscall.SIGINT, "got SIGINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, out := startPiped(t, helperOptions("trap", "0s"))
			out.expect(t, "ready")
			c.Stop(tt.sig)
			r := waitBounded(t, c, context.Background())
			out.expect(t, tt.want)
			if !r.Stopped || r.Killed || r.ExitCode != 0 || !errors.Is(r.StopCause, ErrStopRequested) {
				t.Errorf("got %+v, want stopped by request, exit 0", r)
			}
			c.Stop(syscall.SIGKILL) // after the end: must do nothing
		})
	}
}

func TestIgnoredTermKilledAfterGrace(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	var log testenv.Buffer
	o := helperOptions("ignore")
	o.Grace = grace
	o.Logger = zerolog.New(&log).Level(zerolog.InfoLevel)
	c, out := startPiped(t, o)
	out.expect(t, "ready")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	begin := time.Now()
	r := waitBounded(t, c, ctx)
	elapsed := time.Since(begin)
	if !r.Killed || !r.Stopped || r.Signal != syscall.SIGKILL || r.ExitCode != 137 {
		t.Errorf("got %+v, want killed by SIGKILL, exit 137", r)
	}
	if !errors.Is(r.StopCause, context.Canceled) {
		t.Errorf("StopCause %v, want context.Canceled", r.StopCause)
	}
	if elapsed < grace {
		t.Errorf("killed after %v, before the %v grace", elapsed, grace)
	}
	logged := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(logged) != 1 || !strings.Contains(logged[0], `"level":"warn"`) || !strings.Contains(logged[0], "killing child") {
		t.Errorf("want exactly one warning about the kill at info level and above, got %q", logged)
	}
}

func TestKillByShortensGrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		killIn time.Duration
		mode   string
	}{
		// The child ignores SIGTERM: only the SIGKILL at KillBy ends it,
		// long before the one-minute grace would.
		{"deadline before grace end", 400 * time.Millisecond, "ignore"},
		// The child reports SIGTERM: it must not see one, as there is no
		// time left for a graceful stop.
		{"deadline passed: kill at once", -time.Second, "trap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := helperOptions(tt.mode, "0s")
			o.Grace = time.Minute
			c, out := startPiped(t, o)
			out.expect(t, "ready")
			killBy := time.Now().Add(tt.killIn)
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(fmt.Errorf("watch session: %w", killByError{at: killBy}))
			r := waitBounded(t, c, ctx)
			returned := time.Now()
			if !r.Killed || r.Signal != syscall.SIGKILL || r.ExitCode != 137 {
				t.Errorf("got %+v, want killed by SIGKILL", r)
			}
			var kb killByError
			if !errors.As(r.StopCause, &kb) {
				t.Errorf("StopCause %v, want the killByError", r.StopCause)
			}
			if early := killBy.Add(-killByMargin - 50*time.Millisecond); tt.killIn > 0 && returned.Before(early) {
				t.Errorf("Wait returned at %v, before the KillBy deadline %v", returned, killBy)
			}
			// Semantic bound, not speed: far below the one-minute grace.
			if late := killBy.Add(3 * time.Second); returned.After(late) {
				t.Errorf("Wait returned at %v, long after the KillBy deadline %v", returned, killBy)
			}
			for _, line := range out.rest(t) {
				if strings.HasPrefix(line, "got ") {
					t.Errorf("child saw a signal before the SIGKILL: %q", line)
				}
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	o := helperOptions("sleep", "1m")
	o.Timeout = 200 * time.Millisecond
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	r := waitBounded(t, c, context.Background())
	if !r.TimedOut || !r.Stopped || r.StopCause != ErrTimeout || r.Killed {
		t.Errorf("got %+v, want timed out and stopped by SIGTERM", r)
	}
	if r.Signal != syscall.SIGTERM || r.ExitCode != 143 {
		t.Errorf("exit code %d signal %v, want 143 SIGTERM", r.ExitCode, r.Signal)
	}
	if r.Wall < o.Timeout {
		t.Errorf("Wall %v, shorter than the %v timeout", r.Wall, o.Timeout)
	}
}

func TestGroupLeftoversDie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		then   string // what the child does after starting grandchildren
		cancel bool
	}{
		// The child exits on its own and leaves grandchildren behind.
		{"child exits", "exit", false},
		// The child dies of the SIGTERM; its grandchildren ignore it.
		{"child stopped", "stay", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, out := startPiped(t, helperOptions("spawn", "2", "group", tt.then, "ignore"))
			pids := []int{out.expectPID(t), out.expectPID(t)}
			for _, pid := range pids {
				out.expect(t, "ready")
				if st := assertAlive(t, pid); st.PGID != c.PID() {
					t.Fatalf("grandchild %d in group %d, want the child's group %d", pid, st.PGID, c.PID())
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			}
			defer cancel()
			begin := time.Now()
			r := waitBounded(t, c, ctx)
			for _, pid := range pids {
				assertGone(t, pid)
			}
			if r.Killed {
				t.Errorf("Killed set, but the child itself exited: %+v", r)
			}
			// Leftovers are killed when the child exits, not after the grace.
			if elapsed := time.Since(begin); elapsed >= helperOptions("").Grace {
				t.Errorf("Wait took %v: leftovers waited for the grace", elapsed)
			}
		})
	}
}

// TestEscapedDescendantsDie is not parallel, and its cases run one after
// the other: an escaped orphan cannot be told apart from another Child's
// (see EnableSubreaper), so a concurrent Wait could kill it first.
func TestEscapedDescendantsDie(t *testing.T) {
	tests := []struct {
		name   string
		then   string
		cancel bool
	}{
		{"child exits", "exit", false},
		{"child stopped", "stay", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// child -> setsid grandchild -> great-grandchild in the
			// grandchild's new group; all but the child ignore SIGTERM.
			c, out := startPiped(t, helperOptions("spawn", "1", "setsid", tt.then,
				"spawn", "1", "group", "stay", "ignore"))
			grandchild := out.expectPID(t)
			greatGrandchild := out.expectPID(t)
			out.expect(t, "ready")
			if st := assertAlive(t, grandchild); st.PGID != grandchild {
				t.Fatalf("grandchild %d in group %d: it did not escape the child's group", grandchild, st.PGID)
			}
			assertAlive(t, greatGrandchild)
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			}
			defer cancel()
			waitBounded(t, c, ctx)
			assertGone(t, grandchild)
			assertGone(t, greatGrandchild)
		})
	}
}

// TestOrphanReapedWhileChildRuns is not parallel: a concurrent test's
// cleanup could reap the orphan too and hide a missing reap here.
func TestOrphanReapedWhileChildRuns(t *testing.T) {
	c, out := startPiped(t, helperOptions("orphan", "100ms"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan Result, 1)
	go func() { results <- c.Wait(ctx) }()
	orphan := out.expectPID(t)
	out.expect(t, "ready")
	deadline := time.Now().Add(testWait)
	for unix.Kill(orphan, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assertGone(t, orphan) // not even a zombie
	assertAlive(t, c.PID())
	cancel()
	select {
	case <-results:
	case <-time.After(testWait):
		t.Fatal("Wait did not return")
	}
}

func TestOutputPassesThrough(t *testing.T) {
	t.Parallel()
	t.Run("files", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		stdout, err := os.Create(filepath.Join(dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		defer stdout.Close()
		stderr, err := os.Create(filepath.Join(dir, "err"))
		if err != nil {
			t.Fatal(err)
		}
		defer stderr.Close()
		o := helperOptions("print")
		o.Stdout, o.Stderr = stdout, stderr
		runToEnd(t, o)
		for name, want := range map[string]string{"out": printOut, "err": printErr} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("%s: got %q, want %q", name, got, want)
			}
		}
	})
	t.Run("writers", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		o := helperOptions("print")
		o.Stdout, o.Stderr = &stdout, &stderr
		runToEnd(t, o)
		if stdout.String() != printOut || stderr.String() != printErr {
			t.Errorf("got %q and %q, want %q and %q", stdout.String(), stderr.String(), printOut, printErr)
		}
	})
	t.Run("one writer for both", func(t *testing.T) {
		t.Parallel()
		var both bytes.Buffer
		o := helperOptions("print")
		o.Stdout, o.Stderr = &both, &both
		runToEnd(t, o)
		if both.String() != printOut+printErr {
			t.Errorf("got %q, want %q", both.String(), printOut+printErr)
		}
	})
	t.Run("stdin reader", func(t *testing.T) {
		t.Parallel()
		var stdout bytes.Buffer
		in := strings.Repeat("x", 200<<10) + "\x00end" // more than a pipe buffer
		runToEnd(t, Options{Path: "cat", Stdin: strings.NewReader(in), Stdout: &stdout})
		if stdout.String() != in {
			t.Errorf("cat returned %d bytes, want the %d given", stdout.Len(), len(in))
		}
	})
}

// runToEnd starts o, waits, and requires exit status 0.
func runToEnd(t *testing.T, o Options) Result {
	t.Helper()
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	r := waitBounded(t, c, context.Background())
	if r.ExitCode != 0 {
		t.Fatalf("exit code %d, want 0", r.ExitCode)
	}
	return r
}

func TestResourceUsage(t *testing.T) {
	t.Parallel()
	const mb = 50
	base := runToEnd(t, helperOptions("exit", "0"))
	big := runToEnd(t, withStdout(helperOptions("alloc", strconv.Itoa(mb)), io.Discard))
	if grown := big.MaxRSSKB - base.MaxRSSKB; grown < (mb-10)<<10 {
		t.Errorf("MaxRSSKB %d after touching %d MiB, %d at rest: grew by %d KiB", big.MaxRSSKB, mb, base.MaxRSSKB, grown)
	}
	if big.UserCPU+big.SysCPU <= 0 {
		t.Errorf("no CPU time recorded: user %v sys %v", big.UserCPU, big.SysCPU)
	}
}

func withStdout(o Options, w io.Writer) Options {
	o.Stdout = w
	return o
}

func TestWaitTwice(t *testing.T) {
	t.Parallel()
	c, err := Start(helperOptions("exit", "7"))
	if err != nil {
		t.Fatal(err)
	}
	first := waitBounded(t, c, context.Background())
	second := waitBounded(t, c, context.Background())
	if first.ExitCode != 7 || second != first {
		t.Errorf("first Wait %+v, second %+v; want the same, exit 7", first, second)
	}
}

// startWrapper runs the "wrapper" helper, which plays switchman around a
// helper child, and returns it, its output and the child's pid once the
// wrapper catches signals. Cleanup SIGKILLs a wrapper still running and
// reaps the child if it was reparented to this process.
func startWrapper(t *testing.T, grace string, child ...string) (*exec.Cmd, *lines, int) {
	t.Helper()
	return startWrapperEnv(t, []string{wrapperGraceEnv + "=" + grace}, child...)
}

// startWrapperEnv is startWrapper with env added to the wrapper's
// environment.
func startWrapperEnv(t *testing.T, env []string, child ...string) (*exec.Cmd, *lines, int) {
	t.Helper()
	cmd := helperCmd("wrapper", child...)
	cmd.Env = append(cmd.Env, env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := readLines(r)
	childPID := 0
	t.Cleanup(func() {
		r.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if childPID > 0 {
			reapWithin(childPID, testWait)
		}
	})
	childPID, err = strconv.Atoi(out.expect(t, "child "))
	if err != nil {
		t.Fatal(err)
	}
	out.expect(t, "catching")
	return cmd, out, childPID
}

// reapWithin waits up to limit for pid, a process reparented to this one,
// to exit and reaps it. It reports the status, and whether it reaped pid;
// when pid is not our child it waits for it to vanish instead.
func reapWithin(pid int, limit time.Duration) (unix.WaitStatus, bool) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if got == pid {
			return ws, true
		}
		if errors.Is(err, unix.ECHILD) && unix.Kill(pid, 0) != nil {
			return 0, false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, false
}

// waitCmd waits for cmd, bounded.
func waitCmd(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(testWait):
		t.Fatalf("%s did not exit within %v", cmd.Path, testWait)
	}
}

// TestForwardedSignals is not parallel: it starts the wrapper with os/exec,
// and a concurrent Wait's sweep would take it for an orphan.
func TestForwardedSignals(t *testing.T) {
	tests := []struct {
		name  string
		child []string
		grace string
		send  []syscall.Signal
		lines []string // what the child reports after each signal ("" for nothing)
		want  wrapperResult
	}{
		{
			name:  "USR1 passed on, HUP stops",
			child: []string{"trap", "0s"},
			grace: "5s",
			send:  []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP},
			lines: []string{"got SIGUSR1", "got SIGHUP"},
			want:  wrapperResult{ExitCode: 0, Stopped: true, Cause: "supervise: forwarded SIGHUP"},
		},
		{
			name:  "TERM ignored, KILL after the grace",
			child: []string{"ignore"},
			grace: "300ms",
			send:  []syscall.Signal{syscall.SIGTERM},
			lines: []string{""},
			want: wrapperResult{ExitCode: 137, Signal: int(syscall.SIGKILL), Stopped: true, Killed: true,
				Cause: "supervise: forwarded SIGTERM"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, out, _ := startWrapper(t, tt.grace, tt.child...)
			out.expect(t, "ready")
			for i, sig := range tt.send {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				if tt.lines[i] != "" {
					out.expect(t, tt.lines[i])
				}
			}
			var got wrapperResult
			if err := json.Unmarshal([]byte(out.expect(t, "result ")), &got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			// Wait has returned, so it must no longer catch the signal.
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitCmd(t, cmd)
			if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGHUP {
				t.Errorf("wrapper ended with %v after Wait returned, want death by SIGHUP", cmd.ProcessState)
			}
		})
	}
}

// TestSwitchmanKilledChildDies SIGKILLs a process supervising a child and
// requires the child to die of the parent-death signal. Not parallel, like
// TestForwardedSignals.
func TestSwitchmanKilledChildDies(t *testing.T) {
	cmd, _, child := startWrapper(t, "5s", "sleep", "1m")
	assertAlive(t, child)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitCmd(t, cmd)
	// The test process is a subreaper, so the orphaned child becomes ours.
	ws, ok := reapWithin(child, testWait)
	if !ok {
		t.Fatalf("child %d still alive %v after its supervisor was killed, or not reparented to us", child, testWait)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want death by SIGKILL", ws)
	}
}

// TestCaughtBeforeWait: with Options.Signals registered before Start, a
// signal that arrives after the fork but before Wait watches is kept and
// forwarded once Wait runs (switchman's window between starting the job
// and supervising it, where a signal used to be lost).
func TestCaughtBeforeWait(t *testing.T) {
	caught := make(chan os.Signal, 4)
	signal.Notify(caught, syscall.SIGUSR1)
	defer signal.Stop(caught)
	o := helperOptions("trap", "0s")
	o.Signals = caught
	c, out := startPiped(t, o)
	out.expect(t, "ready")
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(caught) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the signal never reached the channel")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan Result, 1)
	go func() { done <- c.Wait(context.Background()) }()
	out.expect(t, "got SIGUSR1")
	c.Stop(0)
	select {
	case r := <-done:
		if !r.Stopped || r.ExitCode != 0 {
			t.Errorf("result %+v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Wait did not return")
	}
}

// TestPlannedStopKillIsInfo: when the stop's cause is planned (Options.
// Planned), escalating to SIGKILL is logged at info, not as a warning.
func TestPlannedStopKillIsInfo(t *testing.T) {
	t.Parallel()
	var log testenv.Buffer
	o := helperOptions("ignore")
	o.Grace = 100 * time.Millisecond
	o.Logger = zerolog.New(&log).Level(zerolog.InfoLevel)
	o.Planned = func(cause error) bool { return errors.Is(cause, ErrStopRequested) }
	c, out := startPiped(t, o)
	out.expect(t, "ready")
	c.Stop(0)
	if r := waitBounded(t, c, context.Background()); !r.Killed {
		t.Fatalf("got %+v, want killed after the grace", r)
	}
	logged := strings.TrimSpace(log.String())
	if !strings.Contains(logged, `"level":"info"`) || !strings.Contains(logged, "killing child") || strings.Contains(logged, "warn") {
		t.Errorf("want one info line about the kill, got %q", logged)
	}
}
