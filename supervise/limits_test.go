package supervise

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/limits"
	"github.com/acme/switchman/supervise/shim"
)

// withLimits returns lim with the flags words set.
func withLimits(t *testing.T, words ...string) limits.Limits {
	t.Helper()
	var lim limits.Limits
	for _, w := range words {
		if err := lim.SetFlag(w); err != nil {
			t.Fatal(err)
		}
	}
	return lim
}

// shellOptions returns Options running script with /bin/sh behind this
// test binary as the shim.
func shellOptions(script string) Options {
	return Options{Path: "/bin/sh", Args: []string{"-c", script}, Grace: 5 * time.Second, Shim: os.Args[0]}
}

// cgroupParent returns where this process's runs get their cgroups, and
// which controllers they get, or skips the test, saying why, on a host
// that gives none.
func cgroupParent(t *testing.T) cgroup.Info {
	t.Helper()
	info, err := cgroup.Probe()
	if errors.Is(err, cgroup.ErrUnavailable) {
		t.Skipf("this host gives a run no cgroup: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// ourCgroups lists the cgroups this process's runs left below parent.
func ourCgroups(t *testing.T, parent string) []string {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "switchman-"+strconv.Itoa(os.Getpid())+"-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// assertRemoved fails unless dir, a run's cgroup, is gone.
func assertRemoved(t *testing.T, dir string) {
	t.Helper()
	if dir == "" {
		t.Fatal("the run had no cgroup")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s still there after the run (%v)", dir, err)
	}
}

// startWaited is startPiped for a test that may fail before it waits for
// the child: Cleanup then kills the child and waits, so that its cgroup is
// removed.
func startWaited(t *testing.T, o Options) (*Child, *lines) {
	t.Helper()
	c, out := startPiped(t, o)
	t.Cleanup(func() {
		c.Stop(syscall.SIGKILL)
		waitBounded(t, c, context.Background())
	})
	return c, out
}

// cgroupOf returns the unified-hierarchy cgroup path of pid.
func cgroupOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			return path
		}
	}
	t.Fatalf("pid %d in no v2 cgroup: %q", pid, b)
	return ""
}

// TestLimitsAsTheChildSeesThem: the job sees its limits, its shim (the
// job's parent) and this process do not get them.
func TestLimitsAsTheChildSeesThem(t *testing.T) {
	t.Parallel()
	var before syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	ownOOM, _ := os.ReadFile("/proc/self/oom_score_adj")
	script := `ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -St
awk '{print $19}' /proc/$$/stat; cat /proc/$$/oom_score_adj; ionice -p $$
awk '{print $19}' /proc/$PPID/stat; cat /proc/$PPID/oom_score_adj`
	o := shellOptions(script)
	o.Limits = withLimits(t, "nice=7", "ionice=best-effort:6", "oom-score-adj=321",
		"rlimit=nofile=123:456", "rlimit=core=0", "rlimit=cpu=50:unlimited")
	c, out := startPiped(t, o)
	r := waitBounded(t, c, context.Background())
	got := out.rest(t)
	parentNice := "0"
	if st, err := os.ReadFile("/proc/self/stat"); err == nil {
		parentNice = strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))[16]
	}
	want := []string{"123", "456", "0", "50", "7", "321", "best-effort: prio 6", parentNice, strings.TrimSpace(string(ownOOM))}
	if r.ExitCode != 0 || !slices.Equal(got, want) {
		t.Errorf("the job saw %q (exit %d), want %q", got, r.ExitCode, want)
	}
	var after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); err != nil || after != before {
		t.Errorf("this process's RLIMIT_NOFILE went from %+v to %+v", before, after)
	}
	if b, _ := os.ReadFile("/proc/self/oom_score_adj"); string(b) != string(ownOOM) {
		t.Errorf("this process's oom_score_adj went from %q to %q", ownOOM, b)
	}
}

// TestLimitsRefused: a limit the kernel refuses is one error, and the
// command never runs, and its cgroup is removed; so is a limit without a
// shim to apply it. Not parallel: no other test's cgroup exists while it
// looks.
func TestLimitsRefused(t *testing.T) {
	tests := []struct {
		name   string
		limits []string
		shim   bool
		err    string
	}{
		// Above /proc/sys/fs/nr_open, which even root cannot pass.
		{"nofile unlimited", []string{"nice=1", "rlimit=nofile=unlimited"}, true,
			"limits: kernel refused --rlimit nofile=unlimited:unlimited: operation not permitted"},
		{"no shim", []string{"nice=1"}, false, "nice=1 need a shim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := t.TempDir() + "/ran"
			o := shellOptions("touch " + marker)
			if !tt.shim {
				o.Shim = ""
			}
			o.Limits = withLimits(t, tt.limits...)
			o.Cgroup = true
			c, err := Start(o)
			if err == nil {
				waitBounded(t, c, context.Background())
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, ErrLimits) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Start: %v; want ErrLimits with %q", err, tt.err)
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the command ran: %v", err)
			}
			if parent, err := cgroup.Own(); err == nil {
				if left := ourCgroups(t, parent); len(left) > 0 {
					t.Errorf("cgroups left behind: %q", left)
				}
			}
		})
	}
}

// TestCgroupTreeDies: a setsid escapee and a double-forked daemon of the
// job are in the job's cgroup, and die with it, whether the job exits on
// its own or is stopped through its context (how a lost lock reaches us);
// the cgroup is removed afterwards. Not parallel, for the reason
// TestEscapedDescendantsDie gives.
func TestCgroupTreeDies(t *testing.T) {
	info := cgroupParent(t)
	tests := []struct {
		name string
		then string // what the job does once its escapees run
		stop bool
	}{
		{"job exits", "exit", false},
		{"job stopped", "stay", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := helperOptions("escape", tt.then)
			o.Shim, o.Cgroup = os.Args[0], true
			c, out := startWaited(t, o)
			escapees := []int{out.expectPID(t), out.expectPID(t)}
			for range 3 { // the escapees and the job
				out.expect(t, "ready")
			}
			var dir string
			for _, pid := range escapees {
				path := cgroupOf(t, pid)
				if dir != "" && info.Parent+path != dir || !strings.Contains(path, "/switchman-") {
					t.Fatalf("escapee %d in cgroup %q, want a run's own", pid, path)
				}
				dir = strings.TrimSuffix(info.Parent, "/") + path
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			if tt.stop {
				cancel(errors.New("lock: lost"))
			}
			begin := time.Now()
			r := waitBounded(t, c, ctx)
			if r.Cgroup != dir || r.Stopped != tt.stop {
				t.Errorf("result %+v; want cgroup %s, stopped %v", r, dir, tt.stop)
			}
			if tt.stop && time.Since(begin) >= o.Grace {
				t.Errorf("the stop took %v: the escapees' ignored TERM was waited for", time.Since(begin))
			}
			for _, pid := range escapees {
				assertGone(t, pid)
			}
			assertRemoved(t, r.Cgroup)
		})
	}
}

// TestCgroupCPUTime: the CPU time the result reads from the cgroup is,
// within 10%, what the job itself counted.
func TestCgroupCPUTime(t *testing.T) {
	t.Parallel()
	cgroupParent(t)
	o := helperOptions("burn", "300ms")
	o.Shim, o.Cgroup = os.Args[0], true
	c, out := startWaited(t, o)
	own, err := strconv.ParseInt(strings.Fields(out.expect(t, "rusage "))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	r := waitBounded(t, c, context.Background())
	want := time.Duration(own) * time.Microsecond
	if diff := r.CgroupCPU - want; diff < -want/10 || diff > want/10 {
		t.Errorf("cgroup CPU %v, the job's own rusage %v: more than 10%% apart", r.CgroupCPU, want)
	}
	t.Logf("cgroup CPU %v, the job's own rusage %v", r.CgroupCPU, want)
	assertRemoved(t, r.Cgroup)
}

// TestCgroupLimits: memory-max and tasks-max are enforced where the host
// enables their controllers; where it does not, Start fails naming what
// the host lacks, leaving no cgroup behind, or, best effort, warns once
// and runs. Not parallel: no other test's cgroup exists while it looks.
func TestCgroupLimits(t *testing.T) {
	info := cgroupParent(t)
	tests := []struct {
		name, controller, limit string
		o                       Options
		enforced                func(r Result) bool // with the controller
	}{
		{"memory", "memory", "memory-max=16M", helperOptions("alloc", "48"),
			func(r Result) bool { return r.Signal == syscall.SIGKILL }},
		{"tasks", "pids", "tasks-max=4", shellOptions("for i in 1 2 3 4 5 6 7 8; do sleep 0.1 & done; wait"),
			func(r Result) bool { return r.ExitCode != 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Shim, o.Stdout, o.Stderr = os.Args[0], io.Discard, io.Discard
			o.Limits = withLimits(t, tt.limit)
			if slices.Contains(info.Controllers, tt.controller) {
				c, err := Start(o)
				if err != nil {
					t.Fatal(err)
				}
				if r := waitBounded(t, c, context.Background()); !tt.enforced(r) {
					t.Errorf("--%s not enforced: %+v", tt.limit, r)
				}
				return
			}
			_, err := Start(o)
			want := "--" + strings.Split(tt.limit, "=")[0] + ": cgroup: controller not available: no " + tt.controller + " controller below"
			if !errors.Is(err, ErrLimits) || !errors.Is(err, cgroup.ErrNoController) || !strings.Contains(err.Error(), want) {
				t.Errorf("Start without the %s controller: %v; want ErrLimits with %q", tt.controller, err, want)
			}
			if left := ourCgroups(t, info.Parent); len(left) > 0 {
				t.Errorf("cgroups left behind: %q", left)
			}
			var log testenv.Buffer
			o.Logger = zerolog.New(&log).Level(zerolog.InfoLevel)
			o.LimitsBestEffort = true
			c, err := Start(o)
			if err != nil {
				t.Fatalf("best effort: %v", err)
			}
			r := waitBounded(t, c, context.Background())
			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], `"level":"warn"`) || !strings.Contains(lines[0], "no "+tt.controller+" controller") {
				t.Errorf("best effort logged %q, want one warning naming the %s controller", lines, tt.controller)
			}
			assertRemoved(t, r.Cgroup)
			t.Logf("not enforced on this host, which has no %s controller below %s; checked the refusal instead", tt.controller, info.Parent)
		})
	}
}

// TestCgroupShimKillsTree SIGKILLs a process supervising a job in a
// cgroup, behind the shim: the shim kills the job's whole cgroup, a setsid
// escapee and a double-forked daemon included, and removes the cgroup.
// Not parallel, like TestSwitchmanKilledChildDies.
func TestCgroupShimKillsTree(t *testing.T) {
	info := cgroupParent(t)
	cmd, out, shimPID := startWrapperEnv(t, []string{wrapperGraceEnv + "=5s", wrapperCgroupEnv + "=1"}, "escape", "stay")
	escapees := []int{out.expectPID(t), out.expectPID(t)}
	for range 3 { // the escapees and the job
		out.expect(t, "ready")
	}
	dir := strings.TrimSuffix(info.Parent, "/") + cgroupOf(t, escapees[0])
	if dir == strings.TrimSuffix(info.Parent, "/")+cgroupOf(t, shimPID) || cgroupOf(t, escapees[1]) != cgroupOf(t, escapees[0]) {
		t.Fatalf("the escapees are not in a cgroup of the job's own: %s", dir)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitCmd(t, cmd)
	// The test process is a subreaper, so the orphaned shim becomes ours.
	if ws, ok := reapWithin(shimPID, testWait); !ok || ws.ExitStatus() != 137 {
		t.Fatalf("shim %d: reaped %v, status %v; want it to exit 137 once its job is dead", shimPID, ok, ws)
	}
	for _, pid := range escapees {
		assertGone(t, pid)
	}
	assertRemoved(t, dir)
}

// BenchmarkRun measures a whole run of /bin/true behind the shim: alone,
// in a cgroup of its own, and with a limit applied by the shim's stage;
// the differences are what a cgroup and the stage cost per run. The shim
// is this test binary, or the switchman-shim binary named by
// $SUPERVISE_BENCH_SHIM, whose start costs what it costs in production.
func BenchmarkRun(b *testing.B) {
	shim := os.Getenv("SUPERVISE_BENCH_SHIM")
	if shim == "" {
		shim = os.Args[0]
	}
	for _, bb := range []struct {
		name   string
		cgroup bool
		limits []string
	}{
		{"shim", false, nil},
		{"shim+cgroup", true, nil},
		{"shim+limits", false, []string{"nice=1"}},
		{"shim+cgroup+limits", true, []string{"nice=1"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			o := Options{Path: "/bin/true", Shim: shim, Cgroup: bb.cgroup}
			for _, w := range bb.limits {
				if err := o.Limits.SetFlag(w); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				c, err := Start(o)
				if err != nil {
					b.Fatal(err)
				}
				if r := c.Wait(context.Background()); r.ExitCode != 0 || (bb.cgroup && r.Cgroup == "") {
					b.Fatalf("result %+v", r)
				}
			}
		})
	}
}

// TestStageJoinsCgroup runs the shim's stage by itself, as the shim runs it
// on a kernel that cannot start a process in a cgroup: it joins the
// cgroup, applies its limit and execs the command, which inherits neither
// the report descriptor nor anything of the stage but the limit. Not
// parallel: it starts the stage with os/exec, and a concurrent Wait's
// sweep would take it for an orphan (see EnableSubreaper).
func TestStageJoinsCgroup(t *testing.T) {
	info := cgroupParent(t)
	g, err := cgroup.New(info.Parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = g.Kill()
		_ = g.WaitEmpty(testWait)
		if err := g.Remove(); err != nil {
			t.Error(err)
		}
	})
	report, reportW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer report.Close()
	argv := append([]string{ShimArg, "-exec"}, shim.Args(g.Dir, withLimits(t, "rlimit=core=0"))...)
	argv = append(argv, "/bin/sh", "sh", "-c", `cat /proc/self/cgroup; ulimit -c; ls /proc/$$/fd`)
	cmd := exec.Command(os.Args[0], argv...)
	cmd.ExtraFiles = []*os.File{reportW} // descriptor 3
	got, err := cmd.Output()
	reportW.Close()
	if err != nil {
		t.Fatalf("stage: %v", err)
	}
	if why, _ := io.ReadAll(report); len(why) > 0 {
		t.Fatalf("the stage reported %q", why)
	}
	rel := strings.TrimPrefix(g.Dir, strings.TrimSuffix(info.Parent, "/"))
	lines := strings.Fields(string(got))
	if !slices.Contains(lines, "0::"+rel) || !slices.Contains(lines, "0") || slices.Contains(lines, "3") {
		t.Errorf("the command saw %q; want cgroup 0::%s, core limit 0, no descriptor 3", lines, rel)
	}
}

// TestNoReportDescriptor: the descriptor on which the shim reports a
// refusal does not reach the command, whichever way it starts.
func TestNoReportDescriptor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		cgroup bool
		limits []string
	}{
		{"cgroup", true, nil},
		{"limits", false, []string{"nice=1"}},
		{"cgroup and limits", true, []string{"nice=1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := shellOptions(`ls /proc/$$/fd`)
			o.Cgroup, o.Limits = tt.cgroup, withLimits(t, tt.limits...)
			c, out := startPiped(t, o)
			r := waitBounded(t, c, context.Background())
			if fds := out.rest(t); r.ExitCode != 0 || slices.Contains(fds, "3") {
				t.Errorf("the command has descriptors %q (exit %d); want no 3", fds, r.ExitCode)
			}
		})
	}
}

// TestWithoutCgroups runs as nobody, who may not create cgroups below
// ours: Probe says why, a run asking for a cgroup runs as it would without
// one, and a memory cap fails naming the reason. It needs root to become
// nobody. Not parallel, like TestStageJoinsCgroup.
func TestWithoutCgroups(t *testing.T) {
	info := cgroupParent(t)
	if os.Getuid() != 0 {
		t.Skip("not root: cannot run as nobody")
	}
	// A copy of this binary that nobody may run: the original's
	// directory is root's alone.
	dir, err := os.MkdirTemp("", "supervise-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := dir + "/supervise.test"
	if err := copyFile(bin, os.Args[0], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const nobody = 65534
	cmd := exec.Command(bin)
	cmd.Env, cmd.Dir = helperEnvFor("nocgroup"), "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	cmd.Stderr = os.Stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, got)
	}
	want := []string{
		"probe cgroup: unavailable: cannot create a cgroup below " + info.Parent + ": permission denied " +
			"(switchman is not root and its cgroup is not delegated to its user)",
		`ran "" 3`,
		"capped start \"/bin/sh\": supervise: limits not applied: --memory-max: cgroup: unavailable: cannot create a cgroup below " +
			info.Parent + ": permission denied (switchman is not root and its cgroup is not delegated to its user)",
	}
	if lines := strings.Split(strings.TrimSpace(string(got)), "\n"); !slices.Equal(lines, want) {
		t.Errorf("as nobody:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// copyFile copies src to a new file dst with mode perm, in the kernel
// (copy_file_range): reading the test binary into memory would raise this
// process's peak RSS, which the children forked after it inherit in their
// ru_maxrss and TestResourceUsage measures.
func copyFile(dst, src string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
