package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/slot"
)

// cronDir writes a cron.d directory whose file "jobs" holds lines, each
// "SCHEDULE USER switchman -c CFG ARGS": the lines catch-up reads.
func (e *env) cronDir(lines ...string) string {
	e.t.Helper()
	dir := filepath.Join(e.dir, "cron.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jobs"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// cronLine is one line of a cron.d file running the test's binary with
// the test's config as the current user.
func (e *env) cronLine(sched, args string) string {
	return fmt.Sprintf("%s %s %s -c %s %s", sched, currentUser(), binPath, e.cfg, args)
}

// catchUp runs `switchman catch-up` on dir, in UTC, and reports a
// non-zero exit or anything on its output as an error.
func (e *env) catchUp(dir string) error {
	return e.quiet("catch-up", "--cron-dir", dir)
}

// quiet runs switchman with args, in UTC, bounded, and reports a non-zero
// exit or anything on its output as an error.
func (e *env) quiet(args ...string) error {
	c := e.cmd(args...)
	c.Env = append(c.Env, "TZ=UTC")
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return err
	}
	if !waitOrKill(c, 60*time.Second) {
		return fmt.Errorf("switchman %q did not finish in 60s", args)
	}
	if code := c.ProcessState.ExitCode(); code != 0 || out.Len() > 0 {
		return fmt.Errorf("switchman %q: exit %d, output %q", args, code, out.String())
	}
	return nil
}

// TestCatchUpRunsTheLatestMissedSlot: a daily slot that no host ran, with
// two more missed days before it, is run once by catch-up (only the
// latest, marked caught up), and a second catch-up runs nothing; a line
// without --catch-up, one whose group excludes this host and one of
// another user are not run,
// and `check missed` still reports the first, whose schedule catch-up
// recorded.
func TestCatchUpRunsTheLatestMissedSlot(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"batch":["h1.example.com"]}}`)
	marks := filepath.Join(e.dir, "marks")
	// A daily slot ten minutes ago: past its deadline, inside the window.
	due := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Minute)
	sched := fmt.Sprintf("%d %d * * *", due.Minute(), due.Hour())
	job := func(lock, host, extra string) string {
		return e.cronLine(sched, fmt.Sprintf(`-g batch --hostname %s --lockname %s --schedule '%s' %s -- /bin/sh -c 'echo "%s $SWITCHMAN_SLOT" >> %s'`,
			host, lock, sched, extra, lock, marks))
	}
	dir := e.cronDir(
		"# switchman jobs",
		job("daily", "h1.example.com", "--catch-up 26h"),
		job("nocatch", "h1.example.com", ""),
		job("elsewhere", "h2.example.com", "--catch-up 26h"),
		strings.Replace(job("otheruser", "h1.example.com", "--catch-up 26h"), " "+currentUser()+" ", " someone-else ", 1),
	)
	// The daily job last ran three days ago, the one without catch-up two.
	reg := e.lastRan("daily", sched, due.AddDate(0, 0, -3))
	e.lastRan("nocatch", sched, due.AddDate(0, 0, -2))
	if r := e.run("check", "missed"); r.code != 2 || !strings.Contains(r.stdout, "daily missed") || !strings.Contains(r.stdout, "nocatch missed") {
		t.Fatalf("check missed before catch-up: exit %d, %q; want CRITICAL naming daily and nocatch", r.code, r.stdout)
	}
	if err := e.catchUp(dir); err != nil {
		t.Fatal(err)
	}
	want := []string{"daily " + due.Format(time.RFC3339)}
	if got := readLines(t, marks); !slices.Equal(got, want) {
		t.Fatalf("runs after catch-up %q, want %q", got, want)
	}
	claim, _, err := e.admin.Get(path.Join(reg, slot.Name(due)))
	if err != nil || !strings.Contains(string(claim), `"caught_up":true`) || !strings.Contains(string(claim), "h1.example.com") {
		t.Fatalf("claim of the caught-up slot: %q, %v", claim, err)
	}
	rec, _, err := e.admin.Get(path.Join(e.prefix, "slots", "nocatch"))
	if err != nil || !strings.Contains(string(rec), sched) {
		t.Fatalf("schedule of the job without catch-up: %q, %v; want it recorded", rec, err)
	}
	if err := e.catchUp(dir); err != nil {
		t.Fatal(err)
	}
	if got := readLines(t, marks); !slices.Equal(got, want) {
		t.Fatalf("runs after a second catch-up %q, want %q", got, want)
	}
	r := e.run("check", "missed")
	if r.code != 2 || strings.Contains(r.stdout, "daily") || !strings.Contains(r.stdout, "nocatch missed") || strings.Contains(r.stdout, "elsewhere") {
		t.Fatalf("check missed after catch-up: exit %d, %q; want CRITICAL naming nocatch only", r.code, r.stdout)
	}
	// status shows each job's last slot, what became of it and where.
	r = e.run("status")
	for _, re := range []string{`(?m)^daily +` + regexp.QuoteMeta(sched) + ` +\S+ \S+ +caught up +h1\.example\.com +\S+ \S+$`,
		`(?m)^nocatch +` + regexp.QuoteMeta(sched) + ` +\S+ \S+ +missed +- +\S+ \S+$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("status lacks a line matching %s:\n%s", re, r.stdout)
		}
	}
	// check stale judges them by their schedules: the caught-up slot
	// succeeded, nocatch has had no success since its missed slot.
	if r := e.run("check", "stale", "daily"); r.code != 0 {
		t.Errorf("check stale daily: exit %d, %q; want OK", r.code, r.stdout)
	}
	if r := e.run("check", "stale", "nocatch"); r.code != 2 || !strings.Contains(r.stdout, "nocatch no success since its slot") {
		t.Errorf("check stale nocatch: exit %d, %q; want CRITICAL since its slot", r.code, r.stdout)
	}
}

// lastRan makes the slot register of job lock, with schedule sched in
// UTC, as a run of the slot at would have left it, and returns its path.
func (e *env) lastRan(lock, sched string, at time.Time) string {
	e.t.Helper()
	reg := path.Join(e.prefix, "slots", lock)
	rec := slot.Schedule{Spec: sched, Zone: "UTC"}.Marshal()
	for _, n := range []struct {
		path string
		data []byte
	}{{path.Dir(reg), nil}, {reg, rec}, {path.Join(reg, slot.Name(at)), nil}} {
		if _, err := e.admin.Create(n.path, n.data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			e.t.Fatalf("create %s: %v", n.path, err)
		}
	}
	return reg
}

// TestCheckMissed: a daily slot that ran nowhere is CRITICAL, and OK
// once catch-up ran it.
func TestCheckMissed(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	if r := e.run("check", "missed"); r.code != 0 || !strings.HasPrefix(r.stdout, "SWITCHMAN MISSED OK") {
		t.Fatalf("check missed with nothing scheduled: exit %d, %q", r.code, r.stdout)
	}
	due := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Minute)
	sched := fmt.Sprintf("%d %d * * *", due.Minute(), due.Hour())
	dir := e.cronDir(e.cronLine(sched, fmt.Sprintf(`--lockname daily --schedule '%s' --catch-up 26h -- /bin/true`, sched)))
	e.lastRan("daily", sched, due.AddDate(0, 0, -1))
	r := e.run("check", "missed")
	if r.code != 2 || !strings.Contains(r.stdout, "SWITCHMAN MISSED CRITICAL") || !strings.Contains(r.stdout, "daily missed its slot of "+due.Format(time.RFC3339)) {
		t.Fatalf("check missed: exit %d, %q; want CRITICAL for daily's slot %s", r.code, r.stdout, due.Format(time.RFC3339))
	}
	if err := e.catchUp(dir); err != nil {
		t.Fatal(err)
	}
	if r := e.run("check", "missed"); r.code != 0 || !strings.HasPrefix(r.stdout, "SWITCHMAN MISSED OK") {
		t.Fatalf("check missed after catch-up: exit %d, %q; want OK", r.code, r.stdout)
	}
}

// TestCatchUpRacingRegularRuns: catch-ups and regular runs of a
// minutely job, all at once, twice: every slot runs at most once.
func TestCatchUpRacingRegularRuns(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	marks := filepath.Join(e.dir, "marks")
	args := fmt.Sprintf(`--lockname minutely --schedule '* * * * *' --catch-up 1h -- /bin/sh -c 'echo "$SWITCHMAN_SLOT" >> %s'`, marks)
	dir := e.cronDir(e.cronLine("* * * * *", args))
	regular := []string{"--lockname", "minutely", "--schedule", "* * * * *", "--catch-up", "1h", "--",
		"/bin/sh", "-c", `echo "$SWITCHMAN_SLOT" >> ` + marks}
	for round := range 2 {
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if err := e.catchUp(dir); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				if err := e.quiet(regular...); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := readLines(t, marks)
		if len(got) == 0 {
			t.Fatalf("round %d: nothing ran", round)
		}
		seen := map[string]bool{}
		for _, s := range got {
			if seen[s] {
				t.Fatalf("round %d: slot %s ran twice: %q", round, s, got)
			}
			seen[s] = true
		}
	}
}
