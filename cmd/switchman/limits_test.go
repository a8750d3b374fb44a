package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
)

// TestLimitsAsTheJobSeesThem: the limit flags reach the job, as it sees
// them itself (ulimit, /proc/self/stat, oom_score_adj, ionice).
func TestLimitsAsTheJobSeesThem(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	script := `ulimit -Sn; ulimit -Hn; ulimit -Sc
awk '{print $19}' /proc/self/stat; cat /proc/self/oom_score_adj; ionice`
	r := e.run(append([]string{"--lockname", "limits", "--nice", "7", "--ionice", "idle", "--oom-score-adj=321",
		"--rlimit", "nofile=123:456", "--rlimit=core=0"}, sh(script)...)...)
	want := "123\n456\n0\n7\n321\nidle\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("exit %d, the job saw %q (stderr %q); want exit 0 and %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestRefusedLimitNotStarted: a limit that cannot be put in force exits
// 64 with one line that names it, and the command never starts: a value
// the wrapper knows to be wrong, one the kernel refuses, and a cap whose
// controller the host lacks; --limits-best-effort runs the last anyway.
func TestRefusedLimitNotStarted(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	info, probeErr := cgroup.Probe()
	tests := []struct {
		name  string
		flags []string
		want  string // in the one line on stderr
		skip  func() string
	}{
		{"out of range", []string{"--nice", "20"}, `limits: invalid --nice "20": want an integer from -20 to 19`, nil},
		// Above /proc/sys/fs/nr_open, which even root cannot pass.
		{"kernel refuses", []string{"--rlimit", "nofile=unlimited"},
			"limits: kernel refused --rlimit nofile=unlimited:unlimited: operation not permitted", nil},
		{"no controller", []string{"--memory-max", "64M"}, "--memory-max: cgroup: controller not available: no memory controller", func() string {
			if probeErr != nil {
				return "" // no cgroup at all: refused too, for that reason
			}
			for _, c := range info.Controllers {
				if c == "memory" {
					return "this host enables the memory controller for a run's cgroup"
				}
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != nil {
				if why := tt.skip(); why != "" {
					t.Skip(why)
				}
				if probeErr != nil {
					tt.want = "--memory-max: " + probeErr.Error()
				}
			}
			marker := filepath.Join(t.TempDir(), "ran")
			r := e.run(append(append([]string{"--lockname", "refused"}, tt.flags...), sh("touch "+marker)...)...)
			// A bad flag value gets the usage hint, as every flag error.
			line := strings.TrimSuffix(r.stderr, "Run 'switchman --help' for usage.\n")
			if r.code != exitcode.Usage || !strings.Contains(line, tt.want) || strings.Count(line, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", r.code, r.stderr, exitcode.Usage, tt.want)
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the command ran (%v)", err)
			}
			if ok, _, _ := e.admin.Exists(e.prefix + "/locks/refused"); ok {
				t.Error("lock still held after the refusal")
			}
			if tt.skip == nil {
				return
			}
			r = e.run(append(append([]string{"--lockname", "refused", "--limits-best-effort"}, tt.flags...), sh("touch "+marker)...)...)
			if _, err := os.Stat(marker); r.code != 0 || err != nil {
				t.Errorf("best effort: exit %d (stderr %q), command ran: %v", r.code, r.stderr, err == nil)
			}
			if b, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log")); !bytes.Contains(b, []byte("running without the limits this host cannot enforce")) {
				t.Errorf("best effort logged no warning:\n%s", b)
			}
		})
	}
}

// runCgroups returns where this user's runs get their cgroups, or skips
// the test, saying why, on a host that gives none (not root, no
// delegation, no cgroup v2).
func runCgroups(t *testing.T) cgroup.Info {
	t.Helper()
	info, err := cgroup.Probe()
	if err != nil {
		t.Skipf("this host gives a run no cgroup: %v", err)
	}
	return info
}

// runCgroupDir returns the directory of the cgroup that switchman (pid
// sw, started by this process) made for its run, failing unless every pid
// in pids is in it (its cgroup.procs). Cgroups are named by the pid of the
// switchman that made them, and pids are reused: one left by an earlier
// switchman with the same pid (the soak beside the suite starts
// thousands) may still be there, so the run's is the one holding its job.
func runCgroupDir(t *testing.T, info cgroup.Info, sw int, pids []int) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(info.Parent, "switchman-"+strconv.Itoa(sw)+"-*"))
	var held []string
	var in []string // the processes of the last cgroup in held
	for _, d := range dirs {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		procs := strings.Fields(string(b))
		if slices.ContainsFunc(pids, func(pid int) bool { return slices.Contains(procs, strconv.Itoa(pid)) }) {
			held, in = append(held, d), procs
		}
	}
	if len(held) != 1 {
		t.Fatalf("switchman %d made cgroups %q, of which %q hold its job's processes %v; want exactly one", sw, dirs, held, pids)
	}
	for _, pid := range pids {
		if !slices.Contains(in, strconv.Itoa(pid)) {
			t.Fatalf("process %d is not in the run's cgroup %s (which holds %q)", pid, held[0], in)
		}
	}
	return held[0]
}

// waitRemoved waits, bounded, until the cgroup dir is gone.
func waitRemoved(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgroup %s still there 5s after the run", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCgroupTreeDiesWithJob: a setsid escapee and a double-forked daemon
// of the job are in the run's cgroup, and die with it when the lock znode
// is deleted and when switchman is SIGKILLed; the cgroup is removed.
func TestCgroupTreeDiesWithJob(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	info := runCgroups(t)
	tests := []struct {
		name string
		end  func(c *exec.Cmd, lock string)
		code int // switchman's exit status; -1: killed
	}{
		{"lock deleted", func(_ *exec.Cmd, lock string) { e.admin.Delete(e.prefix+"/locks/"+lock, -1) }, exitcode.Lost},
		{"switchman SIGKILLed", func(c *exec.Cmd, _ string) { c.Process.Kill() }, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := "cg-" + strings.ReplaceAll(tt.name, " ", "-")
			c, pids := e.startEscapingJob(t.TempDir(), "--lockname", lock)
			dir := runCgroupDir(t, info, c.Process.Pid, pids)
			tt.end(c, lock)
			if code := waitExit(t, c, 10*time.Second); code != tt.code {
				t.Errorf("switchman exited %d, want %d", code, tt.code)
			}
			for _, pid := range pids {
				waitGone(t, pid, 5*time.Second)
			}
			waitRemoved(t, dir)
		})
	}
}

// burnAndTell burns CPU in the shell, then prints the shell's own CPU
// time, user and system, as times(1) reports it.
const burnAndTell = `i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done; times`

// TestRecordCPUTime: with a cgroup, the run record and the FINISH line
// carry the CPU time of the job's tree, within 10% of what the job
// counted itself; the cgroup is gone after the run.
func TestRecordCPUTime(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	runCgroups(t)
	c := e.cmd(append([]string{"--lockname", "burn", "--hostname", "h1.example.com"}, sh(burnAndTell)...)...)
	var out bytes.Buffer
	c.Stdout = &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 60*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	m := regexp.MustCompile(`^(\d+)m([0-9.]+)s (\d+)m([0-9.]+)s`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("times printed %q", out.String())
	}
	var own float64
	for _, i := range []int{1, 3} {
		mins, _ := strconv.ParseFloat(m[i], 64)
		secs, _ := strconv.ParseFloat(m[i+1], 64)
		own += (mins*60 + secs) * 1000
	}
	b, _, err := e.admin.Get(e.prefix + "/runs/burn/h1.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var rec fleet.Run
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if d := float64(rec.CPUMS) - own; d < -own/10 || d > own/10 {
		t.Errorf("record's cpu_ms %d, the job's own CPU time %.0f ms: more than 10%% apart (record %s)", rec.CPUMS, own, b)
	}
	t.Logf("record's cpu_ms %d, the job's own %.0f ms", rec.CPUMS, own)
	log, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log"))
	if !regexp.MustCompile(`(?m)^.*"message":"FINISH".*"cpu_ms":\d+.*$|^.*"cpu_ms":\d+.*"message":"FINISH".*$`).Match(log) {
		t.Errorf("no cpu_ms in the FINISH line:\n%s", log)
	}
	left, _ := filepath.Glob(filepath.Join(runCgroups(t).Parent, "switchman-"+strconv.Itoa(c.Process.Pid)+"-*"))
	if len(left) > 0 {
		t.Errorf("cgroups left behind: %q", left)
	}
}

// TestMemoryMaxEnforced: where a run's cgroup gets the memory controller,
// a job that outgrows --memory-max is killed by the kernel's OOM killer
// (exit 137), which picks the shell, the largest process;
// elsewhere TestRefusedLimitNotStarted checks the refusal instead.
func TestMemoryMaxEnforced(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	info := runCgroups(t)
	if !slices.Contains(info.Controllers, "memory") {
		t.Skipf("a run's cgroup below %s gets no memory controller here (controllers: %q)", info.Parent, info.Controllers)
	}
	// The shell holds 64 MiB in a variable: four times the cap.
	r := e.run(append([]string{"--lockname", "mem", "--memory-max", "16M"}, sh(`x=$(head -c 67108864 /dev/zero | tr '\0' a); echo survived`)...)...)
	if r.code != 128+9 || strings.Contains(r.stdout, "survived") {
		t.Errorf("exit %d, stdout %q; want the shell, the largest, SIGKILLed (137) by the memory cap", r.code, r.stdout)
	}
}
