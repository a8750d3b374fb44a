package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/status"
)

// TestKillTrappedChildNoOverlap kills a job whose child traps TERM and
// takes a while to exit, then starts a second instance at once: the
// second child must start after the first one ended.
func TestKillTrappedChildNoOverlap(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	pidf, log := filepath.Join(e.dir, "pid"), filepath.Join(e.dir, "log")
	script := `echo $$ > ` + pidf + `; trap 'sleep 0.5; echo end $(date +%s%N) >> ` + log + `; exit 7' TERM; sleep 60 & wait`
	c := e.cmd(append([]string{"--lockname", "job"}, sh(script)...)...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, pidf)
	r := e.run("kill", "job", "--wait", "30s")
	if r.code != 0 || !strings.Contains(r.stdout, "killed") {
		t.Fatalf("kill: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if alive(pid) {
		t.Fatal("child still alive when kill returned")
	}
	second := e.run(append([]string{"--lockname", "job"}, sh(`echo start $(date +%s%N) >> `+log)...)...)
	if second.code != 0 {
		t.Fatalf("second run: %d %s", second.code, second.stderr)
	}
	if code := waitExit(t, c, 10*time.Second); code != 7 {
		t.Fatalf("first switchman exit %d, want the child's 7", code)
	}
	lines := strings.Split(strings.TrimSpace(waitFile(t, log, time.Second)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "end ") || !strings.HasPrefix(lines[1], "start ") {
		t.Fatalf("overlap or missing run: %q", lines)
	}
	// nobody holds it now: kill fails
	if r := e.run("kill", "job"); r.code != exitcode.Failed {
		t.Fatalf("kill of a free lock: exit %d", r.code)
	}
}

// TestStaleKillRequestIgnored: a request naming another holder's token
// never stops a later holder.
func TestStaleKillRequestIgnored(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	e.admin.Create(e.prefix+"/kill", nil, 0, zk.WorldACL(zk.PermAll))
	req, _ := json.Marshal(lock.KillRequest{Token: 12345, Signal: 15})
	if _, err := e.admin.Create(e.prefix+"/kill/job", req, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	r := e.run(append([]string{"--lockname", "job"}, sh("sleep 0.5; exit 0")...)...)
	if r.code != 0 {
		t.Fatalf("stale request stopped the job: exit %d %s", r.code, r.stderr)
	}
}

func TestHaltOnFailureAndResume(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	mark := filepath.Join(e.dir, "ran")
	args := func(code int) []string {
		return append([]string{"--lockname", "daily", "--halt-on-failure"}, sh(fmt.Sprintf("echo x >> %s; exit %d", mark, code))...)
	}
	if r := e.run(args(3)...); r.code != 3 {
		t.Fatalf("failing run: exit %d %s", r.code, r.stderr)
	}
	r := e.run(args(0)...)
	if r.code != 0 || !strings.Contains(r.stderr, "switchman resume daily") {
		t.Fatalf("halted run: exit %d stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(mark); strings.Count(string(b), "x") != 1 {
		t.Fatalf("halted job ran: %q", b)
	}
	st := e.run("status", "-o", "json")
	if !strings.Contains(st.stdout, `"daily": {`) {
		t.Fatalf("status does not show the halt: %s", st.stdout)
	}
	if r := e.run("resume", "daily"); r.code != 0 || !strings.Contains(r.stdout, "resumed") {
		t.Fatalf("resume: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := e.run(args(0)...); r.code != 0 || r.stderr != "" {
		t.Fatalf("run after resume: %d %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(mark); strings.Count(string(b), "x") != 2 {
		t.Fatalf("job did not run after resume: %q", b)
	}
}

// TestRunRecordAndMetrics checks the record a run leaves and the textfile.
func TestRunRecordAndMetrics(t *testing.T) {
	srv := sharedZK(t)
	metrics := t.TempDir()
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`, "metrics_textfile_dir: "+metrics)
	r := e.run(append([]string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "rec"}, sh("exit 4")...)...)
	if r.code != 4 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	var rec fleet.Run
	if err := json.Unmarshal([]byte(e.zdata("/runs/rec/h1.example.com")), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.State != "finished" || rec.Result != "failure" || rec.ExitCode != 4 || rec.Group != "g" || rec.Start.IsZero() || rec.Finish.Before(rec.Start) {
		t.Fatalf("record %+v", rec)
	}
	b, err := os.ReadFile(filepath.Join(metrics, "switchman_rec.prom"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`switchman_last_exit_status{group="g",host="h1.example.com",lock="rec"} 4`,
		"# TYPE switchman_last_duration_seconds gauge",
		"switchman_last_max_rss_bytes{",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(metrics, ".switchman-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestMetricsHelperMissing checks a switchman installed without the
// switchman-metrics helper: the job runs and keeps its exit code, and one
// warning line names what is missing.
func TestMetricsHelperMissing(t *testing.T) {
	srv := sharedZK(t)
	metrics := t.TempDir()
	e := newEnv(t, srv, `{}`, "metrics_textfile_dir: "+metrics)
	lone := loneBinary(t)
	c := exec.Command(lone, append([]string{"-c", e.cfg, "--lockname", "nometrics"}, sh("exit 3")...)...)
	c.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var stderr strings.Builder
	c.Stderr = &stderr
	err := c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want the job's 3; stderr %q", err, stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "switchman-metrics is not installed") {
		t.Errorf("stderr %q, want one line naming the missing helper", stderr.String())
	}
	if ents, _ := os.ReadDir(metrics); len(ents) != 0 {
		t.Errorf("files written without the helper: %d", len(ents))
	}
}

// seedRuns writes n run records directly, as n jobs on 2 hosts would.
func (e *env) seedRuns(n int, rec func(i int) fleet.Run) {
	e.t.Helper()
	acl := zk.WorldACL(zk.PermAll)
	e.admin.Create(e.prefix+"/runs", nil, 0, acl)
	for i := 0; i < n; i++ {
		r := rec(i)
		b, _ := json.Marshal(r)
		e.admin.Create(e.prefix+"/runs/"+r.Lock, nil, 0, acl)
		if _, err := e.admin.Create(e.prefix+"/runs/"+r.Lock+"/"+r.Host, b, 0, acl); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestStatusThousandJobs(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	now := time.Now().UTC()
	e.seedRuns(1000, func(i int) fleet.Run {
		return fleet.Run{Lock: "job" + strconv.Itoa(i), Host: "h" + strconv.Itoa(i%2) + ".example.com", State: "finished",
			Start: now.Add(-time.Minute), Outcome: fleet.Outcome{Finish: now, Result: "success"}, LastSuccess: now}
	})
	r := e.run("status", "-o", "json")
	if r.code != 0 {
		t.Fatalf("status: %d %s", r.code, r.stderr)
	}
	var st status.Snapshot
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Runs) != 1000 || st.Runs[0].Lock != "job0" {
		t.Fatalf("status shows %d runs", len(st.Runs))
	}
	t.Logf("status over 1000 jobs took %s (binary built with -race)", r.took)
	if r := e.run("status", "job7"); r.code != 0 || !strings.Contains(r.stdout, "job7") || strings.Contains(r.stdout, "job8") {
		t.Fatalf("status job7: %d %q", r.code, r.stdout)
	}
}

func TestPauseAndResume(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	mark := filepath.Join(e.dir, "ran")
	job := append([]string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "nightly"}, sh("echo x >> "+mark)...)
	runs := func() int { b, _ := os.ReadFile(mark); return strings.Count(string(b), "x") }
	steps := []struct {
		name  string
		admin []string
		runs  int // after the job ran once more
	}{
		{"paused by name", []string{"pause", "nightly", "--reason", "db maintenance"}, 0},
		{"resumed by name", []string{"resume", "nightly"}, 1},
		{"paused by group", []string{"pause", "--group", "g"}, 1},
		{"resumed by group", []string{"resume", "--group", "g"}, 2},
	}
	for _, s := range steps {
		if r := e.run(s.admin...); r.code != 0 {
			t.Fatalf("%s: %v: exit %d %s", s.name, s.admin, r.code, r.stderr)
		}
		if s.name == "paused by name" {
			st := e.run("status", "-o", "json")
			if !strings.Contains(st.stdout, "db maintenance") {
				t.Fatalf("status does not show the pause: %s", st.stdout)
			}
		}
		r := e.run(job...)
		if r.code != 0 || r.stderr != "" || runs() != s.runs {
			t.Fatalf("%s: exit %d stderr %q runs %d, want %d", s.name, r.code, r.stderr, runs(), s.runs)
		}
	}
	// --stop stops the running instance too
	c, pid, _ := e.startTrapped("-g", "g", "--hostname", "h1.example.com", "--lockname", "long")
	if r := e.run("pause", "--group", "g", "--stop"); r.code != 0 || !strings.Contains(r.stdout, "stopped") {
		t.Fatalf("pause --stop: %d %q %q", r.code, r.stdout, r.stderr)
	}
	waitGone(t, pid, 5*time.Second)
	waitExit(t, c, 10*time.Second)
	if r := e.run("pause", "a", "--group", "g"); r.code != exitcode.Usage {
		t.Fatalf("both name and group: exit %d", r.code)
	}
}

func TestMinInterval(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	mark := filepath.Join(e.dir, "ran")
	runs := func() int { b, _ := os.ReadFile(mark); return strings.Count(string(b), "x") }
	job := func(name, interval string) []string {
		return append([]string{"--lockname", name, "--min-interval", interval}, sh("echo x >> "+mark)...)
	}
	for i, want := range []int{1, 1} {
		if r := e.run(job("hourly", "1h")...); r.code != 0 || r.stderr != "" || runs() != want {
			t.Fatalf("run %d: exit %d %q runs %d want %d", i, r.code, r.stderr, runs(), want)
		}
	}
	if r := e.run(job("often", "200ms")...); r.code != 0 || runs() != 2 {
		t.Fatalf("often #1: %d %q runs %d", r.code, r.stderr, runs())
	}
	time.Sleep(400 * time.Millisecond)
	if r := e.run(job("often", "200ms")...); r.code != 0 || runs() != 3 {
		t.Fatalf("often after the interval: %d %q runs %d", r.code, r.stderr, runs())
	}
}

// TestWaitingRecord checks the run record's waiting state: a run that must
// wait for the lock (--wait) marks its record waiting, keeping the last
// run's result (check failed still sees it); when it runs, the record is a
// normal one again; when it gives up, the previous record comes back.
func TestWaitingRecord(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	record := func() fleet.Run {
		t.Helper()
		var r fleet.Run
		if err := json.Unmarshal([]byte(e.zdata("/runs/w/h2.example.com")), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	h2 := []string{"--hostname", "h2.example.com", "--lockname", "w"}
	if r := e.run(append(h2, sh("exit 3")...)...); r.code != 3 {
		t.Fatalf("first run: exit %d %s", r.code, r.stderr)
	}
	h := e.hold("h", "--hostname", "h1.example.com", "--lockname", "w")
	w := e.start(append(append(h2, "--wait=20s"), sh("true")...)...)
	deadline := time.Now().Add(10 * time.Second)
	for record().State != fleet.StateWaiting {
		if time.Now().After(deadline) {
			t.Fatalf("record never said waiting: %+v", record())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := record(); r.Result != "failure" || r.ExitCode != 3 || r.WaitingSince.IsZero() {
		t.Errorf("waiting record lost the last run or its start: %+v", r)
	}
	if r := e.run("status"); !strings.Contains(r.stdout, "waiting since") {
		t.Errorf("status does not show the wait:\n%s", r.stdout)
	}
	h.finish(t)
	if code := waitExit(t, w, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d", code)
	}
	if r := record(); r.State != fleet.StateFinished || r.Result != "success" || !r.WaitingSince.IsZero() {
		t.Errorf("record after the waited run: %+v", r)
	}

	before := record()
	h = e.hold("h", "--hostname", "h1.example.com", "--lockname", "w")
	if r := e.run(append(append(h2, "--wait=1s"), sh("true")...)...); r.code != exitcode.LeaseWait {
		t.Fatalf("timed-out wait: exit %d %s", r.code, r.stderr)
	}
	if r := record(); r.State != before.State || r.Result != before.Result || !r.Start.Equal(before.Start) || !r.WaitingSince.IsZero() {
		t.Errorf("record after a wait that gave up: %+v, want the previous %+v", r, before)
	}

	// A wait that ends with the lock but a command that cannot start (a
	// limit the kernel refuses: nofile above fs.nr_open) puts the
	// previous record back too, not "waiting".
	refused := e.start(append(append(h2, "--wait=20s", "--rlimit", "nofile=unlimited"), sh("true")...)...)
	deadline = time.Now().Add(10 * time.Second)
	for record().State != fleet.StateWaiting {
		if time.Now().After(deadline) {
			t.Fatalf("record never said waiting: %+v", record())
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.finish(t)
	if code := waitExit(t, refused, 10*time.Second); code != exitcode.Usage {
		t.Fatalf("refused start after a wait: exit %d, want %d", code, exitcode.Usage)
	}
	if r := record(); r.State != before.State || r.Result != before.Result || !r.Start.Equal(before.Start) || !r.WaitingSince.IsZero() {
		t.Errorf("record after a wait whose command could not start: %+v, want the previous %+v", r, before)
	}
}

// TestWaitingRecordKeepsFailure: a job whose last run failed and which now
// waits for a lease another job holds is still reported by check failed:
// the waiting record keeps the last run's result.
func TestWaitingRecordKeepsFailure(t *testing.T) {
	e := leaseEnv(t, []string{"db"})
	w := []string{"--hostname", "h2.example.com", "--lockname", "w", "--lease", "db=1:1"}
	if r := e.run(append(w, sh("exit 3")...)...); r.code != 3 {
		t.Fatalf("first run: exit %d %s", r.code, r.stderr)
	}
	h := e.hold("h", "--hostname", "h1.example.com", "--lockname", "other", "--lease", "db=1:1")
	waiter := e.start(append(w, sh("true")...)...)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.zdata("/runs/w/h2.example.com"), `"state":"waiting"`) {
		if time.Now().After(deadline) {
			t.Fatalf("record never said waiting: %s", e.zdata("/runs/w/h2.example.com"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.run("check", "failed"); r.code != 2 || !strings.Contains(r.stdout, "w on h2.example.com: failure") {
		t.Errorf("check failed while the failed job waits: exit %d %q", r.code, r.stdout)
	}
	h.finish(t)
	if code := waitExit(t, waiter, 10*time.Second); code != 0 {
		t.Fatalf("waiter exit %d", code)
	}
	if r := e.run("check", "failed"); r.code != 0 {
		t.Errorf("check failed after the job succeeded: exit %d %q", r.code, r.stdout)
	}
}
