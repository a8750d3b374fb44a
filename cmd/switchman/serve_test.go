package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/dashboard"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/status"
)

// fleetScenario makes a small fleet's history with real runs: job alpha
// runs twice on h1 in group g, the group moves to h2 and alpha runs there;
// beta fails with output and --halt-on-failure (halted), and is paused;
// sleeper runs on h3 until the returned func stops it.
func fleetScenario(t *testing.T, e *env) (stop func()) {
	t.Helper()
	must := func(want int, args ...string) {
		t.Helper()
		if r := e.run(args...); r.code != want {
			t.Fatalf("switchman %q: exit %d, want %d: %s", args, r.code, want, r.stderr)
		}
	}
	alpha := func(host string) []string {
		return append([]string{"-g", "g", "--hostname", host, "--lockname", "alpha", "--expected-duration", "10s"}, sh("echo alpha")...)
	}
	must(0, alpha("h1.example.com")...)
	must(0, alpha("h1.example.com")...)
	must(0, "groups", "move", "g", "--from", "h1.example.com", "--to", "h2.example.com")
	must(0, alpha("h1.example.com")...) // not in the group any more: skipped
	must(0, alpha("h2.example.com")...)
	must(2, append([]string{"--hostname", "h1.example.com", "--lockname", "beta", "--halt-on-failure"}, sh("echo starting; echo 'beta broke: ünïcode' >&2; exit 2")...)...)
	must(0, "pause", "beta", "--reason", "disk check")
	sleeper := e.cmd("--hostname", "h3.example.com", "--lockname", "sleeper", "--", "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, _, err := e.admin.Exists(e.prefix + "/locks/sleeper"); err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			sleeper.Process.Kill()
			t.Fatal("sleeper did not take its lock within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() {
		_ = sleeper.Process.Signal(syscall.SIGTERM)
		waitExit(t, sleeper, 20*time.Second)
	}
}

// slotScenario adds scheduled jobs to fleetScenario's fleet (group g on
// h2): minutely, whose register was made five minutes ago and whose
// slots since then ran nowhere until one run now, and daily, whose slot
// ten minutes ago is run by catch-up.
func slotScenario(t *testing.T, e *env) {
	t.Helper()
	now := time.Now().UTC()
	e.lastRan("minutely", "* * * * *", now.Add(-5*time.Minute).Truncate(time.Minute))
	if r := e.run(append([]string{"-g", "g", "--hostname", "h2.example.com", "--lockname", "minutely", "--schedule", "* * * * *"},
		sh("true")...)...); r.code != 0 {
		t.Fatalf("minutely: exit %d: %s", r.code, r.stderr)
	}
	due := now.Add(-10 * time.Minute).Truncate(time.Minute)
	sched := fmt.Sprintf("%d %d * * *", due.Minute(), due.Hour())
	e.lastRan("daily", sched, due.AddDate(0, 0, -1))
	dir := e.cronDir(e.cronLine(sched, fmt.Sprintf("-g g --hostname h2.example.com --lockname daily --schedule '%s' --catch-up 26h -- /bin/true", sched)))
	if err := e.catchUp(dir); err != nil {
		t.Fatal(err)
	}
}

// checkSlotsAndGroups checks the dashboard's slots and groups in its
// API: minutely ran its last slot and missed the ones before, daily was
// caught up; group all lists h3, then g's host h2.
func checkSlotsAndGroups(t *testing.T, url string) {
	t.Helper()
	f := getFleet(t, url, func(f *dashboard.Fleet) bool { return len(f.Jobs) == 5 })
	marks := map[string][]string{}
	for _, j := range f.Jobs {
		for _, m := range j.Slots {
			marks[j.Name] = append(marks[j.Name], string(m.Outcome))
		}
		switch {
		case j.Name == "minutely" && (j.Slot == nil || j.Slot.Outcome != status.Ran || j.Slot.Host != "h2.example.com"):
			t.Errorf("minutely's last slot %+v, want ran on h2", j.Slot)
		case j.Name == "daily" && (j.Slot == nil || j.Slot.Outcome != status.CaughtUp || j.Slot.Next.IsZero()):
			t.Errorf("daily's last slot %+v, want caught up", j.Slot)
		}
	}
	if m := strings.Join(marks["minutely"], ","); !strings.HasPrefix(m, "ran,missed,missed") || !strings.HasSuffix(m, "ran") {
		t.Errorf("minutely's slot marks %s, want ran, missed..., ran", m)
	}
	if m := strings.Join(marks["daily"], ","); m != "ran,caught up" {
		t.Errorf("daily's slot marks %s, want ran,caught up", m)
	}
	var groups []string
	for _, g := range f.Groups {
		var hosts []string
		for _, h := range g.Hosts {
			hosts = append(hosts, h.Name)
		}
		groups = append(groups, g.Name+"="+strings.Join(hosts, ",")+":"+strings.Join(g.Jobs, ","))
	}
	if got := strings.Join(groups, " "); got != "all=h3.example.com,h2.example.com: g=h2.example.com:alpha,daily,minutely" {
		t.Errorf("groups %s", got)
	}
}

// TestServeAPI checks the dashboard's JSON API and page, served with
// httptest over a real ZooKeeper after real runs, and that it follows a
// new run live (the watch fires well before the periodic refresh).
func TestServeAPI(t *testing.T) {
	e := newEnv(t, sharedZK(t), `{"groups":{"g":["h1.example.com"]}}`, "failure_output: 256")
	stop := fleetScenario(t, e)
	defer stop()
	if r := e.run("pause", "--group", "g", "--reason", "maintenance"); r.code != 0 {
		t.Fatalf("pause --group: %d %s", r.code, r.stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := lock.Dial(ctx, lock.Options{Servers: []string{e.addr}, SessionTimeout: 10 * time.Second, ConnectTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	srv := dashboard.New(fleet.New(sess, e.prefix), zerolog.Nop())
	go srv.Run(ctx)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	f := getFleet(t, ts.URL, func(f *dashboard.Fleet) bool { return len(f.Jobs) == 3 })
	jobs := map[string]dashboard.Job{}
	for _, j := range f.Jobs {
		jobs[j.Name] = j
	}
	alpha, beta, sleeper := jobs["alpha"], jobs["beta"], jobs["sleeper"]
	if len(alpha.Runs) != 3 || alpha.Last == nil || alpha.Last.Host != "h2.example.com" || alpha.Runs[0].Host != "h1.example.com" || alpha.Expected != "10s" ||
		alpha.Paused == nil || alpha.Paused.Reason != "group g: maintenance" {
		t.Errorf("alpha: %+v", alpha)
	}
	if beta.Last == nil || beta.Last.Result != "failure" || beta.Last.ExitCode != 2 || beta.Halted == nil || beta.Paused == nil || beta.Paused.Reason != "disk check" {
		t.Errorf("beta: %+v", beta)
	}
	if sleeper.RunningOn != "h3.example.com" || sleeper.PID == 0 {
		t.Errorf("sleeper: %+v", sleeper)
	}
	if len(f.Failures) != 1 || f.Failures[0].Job != "beta" || !strings.Contains(f.Failures[0].Output, "beta broke: ünïcode") ||
		!strings.Contains(f.Failures[0].Output, "starting") {
		t.Errorf("failures: %+v", f.Failures)
	}
	var hosts []string
	for _, h := range f.Hosts {
		hosts = append(hosts, h.Name+"="+strings.Join(h.Running, ","))
	}
	if got := strings.Join(hosts, " "); got != "h1.example.com= h2.example.com= h3.example.com=sleeper" {
		t.Errorf("hosts: %s", got)
	}

	page := get(t, ts.URL+"/", http.StatusOK)
	for _, want := range []string{`data-job="alpha"`, `data-host="h2.example.com"`, "beta broke: ünïcode", `class="timeline"`, `class="fail"`,
		`class="halted"`, `class="paused"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	get(t, ts.URL+"/api/jobs/alpha", http.StatusOK)
	get(t, ts.URL+"/api/jobs/nope", http.StatusNotFound)
	get(t, ts.URL+"/static/style.css", http.StatusOK)

	// Live: another failure shows within seconds.
	if r := e.run(append([]string{"--hostname", "h2.example.com", "--lockname", "gamma"}, sh("exit 4")...)...); r.code != 4 {
		t.Fatalf("gamma: %d %s", r.code, r.stderr)
	}
	getFleet(t, ts.URL, func(f *dashboard.Fleet) bool {
		return len(f.Failures) == 2 && f.Failures[0].Job == "gamma" && f.Failures[0].ExitCode == 4
	})

	// Basic auth, as switchman-serve wraps the handler.
	authed := httptest.NewServer(dashboard.BasicAuth("ops", "s3cret", srv.Handler()))
	defer authed.Close()
	get(t, authed.URL+"/api/fleet", http.StatusUnauthorized)
	req, _ := http.NewRequest("GET", authed.URL+"/api/fleet", nil)
	req.SetBasicAuth("ops", "s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with credentials: %v %v", resp, err)
	}
}

// getFleet polls /api/fleet until ok accepts it, bounded: the dashboard
// reads the fleet at start and after every watch event.
func getFleet(t *testing.T, url string, ok func(*dashboard.Fleet) bool) *dashboard.Fleet {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var f dashboard.Fleet
	for {
		resp, err := http.Get(url + "/api/fleet")
		if err == nil {
			f = dashboard.Fleet{}
			if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&f) == nil && ok(&f) {
				resp.Body.Close()
				return &f
			}
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/fleet did not show the expected state within 15s; last: %+v (%v)", f, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(t *testing.T, url string, code int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, code, b)
	}
	return string(b)
}

// TestServeBrowser runs `switchman serve` (the real helper) and loads the
// dashboard in headless Chromium from Debian (make deps installs it): the
// rendered DOM names the jobs, the hosts and the failure's output, and a
// screenshot is kept in bin/test-artifacts (or $SWITCHMAN_TEST_ARTIFACTS).
func TestServeBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: make deps installs it (scripts/install-chromium.sh)")
		}
		t.Skip("chromium is not installed (make deps installs it)")
	}
	e := newEnv(t, sharedZK(t), `{"groups":{"g":["h1.example.com"],"all":["h3.example.com","g"]}}`)
	stop := fleetScenario(t, e)
	defer stop()
	slotScenario(t, e)
	url := startServe(t, e)
	checkSlotsAndGroups(t, url)

	dom := runChromium(t, chromium, "--dump-dom", url)
	for _, want := range []string{`data-job="alpha"`, `data-job="beta"`, `data-job="sleeper"`,
		`data-host="h1.example.com"`, `data-host="h2.example.com"`, `data-host="h3.example.com"`,
		"beta broke: ünïcode", `<svg class="timeline"`, `<svg class="durations"`, `class="halted"`, `class="paused"`,
		`class="tick ran"`, `class="tick missed"`, `class="tick caughtup"`, `class="slot caughtup"`, `class="slot ran"`, `data-group="all"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?s)data-group="all".*?data-host="h3.example.com".*?data-host="h2.example.com".*?</tr>`).MatchString(dom) {
		t.Error("group all does not list h3, then h2 (g's host), in standby order")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	dir := os.Getenv("SWITCHMAN_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "bin", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(dir, "dashboard.png"))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(shot)
	runChromium(t, chromium, "--screenshot="+shot, "--window-size=1280,1800", url)
	b, err := os.ReadFile(shot)
	if err != nil || len(b) < 1000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s: %d bytes, %v", shot, len(b), err)
	}
	t.Logf("screenshot: %s", shot)
}

// startServe starts `switchman serve` on a free loopback port (or
// switchman with args) and returns its URL once it listens; the test's
// cleanup stops it.
func startServe(t *testing.T, e *env, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		args = []string{"serve", "--listen", "127.0.0.1:0"}
	}
	c := e.cmd(args...)
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		waitExit(t, c, 20*time.Second)
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("switchman serve did not listen within 30s")
		return ""
	}
}

// runChromium runs headless Chromium on url, bounded, and returns its
// stdout. It runs as whoever runs the tests (root in CI, hence
// --no-sandbox) with a throwaway profile.
func runChromium(t *testing.T, chromium string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profile := t.TempDir()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir=" + profile}, args...)
	c := exec.CommandContext(ctx, chromium, all...)
	c.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}
