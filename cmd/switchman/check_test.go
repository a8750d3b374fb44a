package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
)

// sibling is a second env of the same test: another prefix, config and
// directory on the same server.
func (e *env) sibling(suffix, data string) *env {
	e.t.Helper()
	s := *e
	s.prefix, s.dir = e.prefix+suffix, e.t.TempDir()
	if _, err := e.admin.Create(s.prefix, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		e.t.Fatalf("create prefix: %v", err)
	}
	s.conf.Prefix = s.prefix
	s.cfg = zktest.WriteConfig(e.t, filepath.Join(s.dir, "switchman.yaml"), s.conf)
	return &s
}

// TestChecks runs each Nagios check in an OK and a CRITICAL state.
func TestChecks(t *testing.T) {
	srv := sharedZK(t)
	now := time.Now().UTC()
	okRun := func(job, host string) fleet.Run {
		return fleet.Run{Lock: job, Host: host, State: "finished", Start: now.Add(-time.Minute),
			Outcome: fleet.Outcome{Finish: now, Result: "success"}, LastSuccess: now}
	}
	oldFail := fleet.Run{Lock: "nightly", Host: "b.example.com", State: "finished", Start: now.Add(-72 * time.Hour),
		Outcome: fleet.Outcome{Finish: now.Add(-72 * time.Hour), Result: "failure", ExitCode: 2}, LastSuccess: now.Add(-96 * time.Hour)}
	good := newEnv(t, srv, `{"groups":{"g":["a.example.com"]}}`)
	good.seedRuns(1, func(int) fleet.Run { return okRun("hourly", "a.example.com") })
	bad := good.sibling("-bad", `{"groups":{"g":["a.example.com"],"h":["b.example.com"]}}`)
	bad.seedRuns(2, func(i int) fleet.Run {
		if i == 0 {
			return okRun("hourly", "a.example.com")
		}
		return oldFail
	})
	cron := filepath.Join(good.dir, "crontab")
	os.WriteFile(cron, []byte("*/5 * * * * switchman -g g -- /bin/true\n"), 0o644)
	badCron := filepath.Join(good.dir, "crontab-bad")
	os.WriteFile(badCron, []byte("*/5 * * * * switchman -g nosuch -- /bin/true\n"), 0o644)

	// A job past its expected duration, on the bad env only.
	c := bad.cmd(append([]string{"--lockname", "slow", "--expected-duration", "1ms"}, sh("sleep 30")...)...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	fast := good.cmd(append([]string{"--lockname", "fast", "--expected-duration", "1h"}, sh("sleep 30")...)...)
	if err := fast.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fast.Process.Kill(); fast.Wait() })
	waitLock := func(e *env, name string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if ok, _, _ := e.admin.Exists(e.prefix + "/locks/" + name); ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never locked", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLock(bad, "slow")
	waitLock(good, "fast")

	tests := []struct {
		name string
		args []string
		want string // in the status line
	}{
		{"overdue", []string{"check", "overdue"}, "slow on"},
		{"failed", []string{"check", "failed"}, "nightly on b.example.com: failure"},
		{"stale", []string{"check", "stale", "--max-age", "24h"}, "nightly last succeeded"},
		{"hosts", []string{"check", "hosts", "--max-age", "24h"}, ": h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good.run(tt.args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "SWITCHMAN "+strings.ToUpper(tt.name)+" OK - ") || !strings.Contains(r.stdout, " | ") {
				t.Fatalf("OK state: exit %d %q %q", r.code, r.stdout, r.stderr)
			}
			r = bad.run(tt.args...)
			if r.code != 2 || !strings.Contains(r.stdout, "CRITICAL - ") || !strings.Contains(r.stdout, tt.want) ||
				strings.Count(r.stdout, "\n") != 1 {
				t.Fatalf("CRITICAL state: exit %d %q %q", r.code, r.stdout, r.stderr)
			}
		})
	}
	t.Run("stale named job never ran", func(t *testing.T) {
		if r := good.run("check", "stale", "nosuchjob"); r.code != 2 || !strings.Contains(r.stdout, "never ran") {
			t.Fatalf("exit %d %q", r.code, r.stdout)
		}
	})
	t.Run("groups", func(t *testing.T) {
		if r := good.run("check", "groups", cron); r.code != 0 || !strings.Contains(r.stdout, "OK") {
			t.Fatalf("OK state: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
		if r := good.run("check", "groups", badCron); r.code != 2 || !strings.Contains(r.stdout, "nosuch") {
			t.Fatalf("CRITICAL state: exit %d %q %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("unknown when zookeeper is unreachable", func(t *testing.T) {
		cfg := zktest.WriteConfig(t, filepath.Join(good.dir, "dead.yaml"),
			zktest.SwitchmanConfig{Hosts: "127.0.0.1:1", Prefix: "/x", ConnectTimeout: "300ms"})
		r := good.run("check", "failed", "-c", cfg)
		if r.code != 3 || !strings.HasPrefix(r.stdout, "SWITCHMAN FAILED UNKNOWN - ") {
			t.Fatalf("exit %d %q", r.code, r.stdout)
		}
	})
}

// TestHeartbeat checks the per-host heartbeat behind check hosts: a host
// whose runs never start a job (not a member) still shows alive; the
// heartbeat is written once per ten minutes, not on every run; and check
// hosts counts it.
func TestHeartbeat(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"weekly":["w1.example.com"],"other":["o1.example.com"]}}`)
	if r := e.run("check", "hosts", "--max-age", "1h"); r.code != 2 {
		t.Fatalf("before any run: exit %d %q", r.code, r.stdout)
	}
	// w1 runs a job of another group: skipped, no run record, but alive.
	args := []string{"-g", "other", "--hostname", "w1.example.com", "--lockname", "hb", "--", "true"}
	if r := e.run(args...); r.code != 0 {
		t.Fatalf("run: exit %d %s", r.code, r.stderr)
	}
	if _, _, err := e.admin.Get(e.prefix + "/runs/hb/w1.example.com"); err == nil {
		t.Fatal("a skipped run wrote a run record")
	}
	_, st1, err := e.admin.Get(e.prefix + "/hosts/w1.example.com")
	if err != nil {
		t.Fatalf("no heartbeat after a run: %v", err)
	}
	if r := e.run(args...); r.code != 0 {
		t.Fatalf("second run: exit %d %s", r.code, r.stderr)
	}
	if _, st2, err := e.admin.Get(e.prefix + "/hosts/w1.example.com"); err != nil || st2.Mzxid != st1.Mzxid {
		t.Errorf("the second run within ten minutes wrote the heartbeat again (mzxid %d -> %d, %v)", st1.Mzxid, st2.Mzxid, err)
	}
	r := e.run("check", "hosts", "--max-age", "1h")
	if r.code != 2 || strings.Contains(r.stdout, "weekly") || !strings.Contains(r.stdout, "other") {
		t.Errorf("check hosts after w1's heartbeat: exit %d %q; want only group other without a host", r.code, r.stdout)
	}
	// A stale stamp (older than ten minutes) makes the next run write again.
	stamps, _ := filepath.Glob(filepath.Join(e.dir, "cache", "switchman", "heartbeat-*"))
	if len(stamps) != 1 {
		t.Fatalf("stamps %v, want one", stamps)
	}
	old := time.Now().Add(-11 * time.Minute)
	if err := os.Chtimes(stamps[0], old, old); err != nil {
		t.Fatal(err)
	}
	if r := e.run(args...); r.code != 0 {
		t.Fatalf("third run: exit %d %s", r.code, r.stderr)
	}
	if _, st3, err := e.admin.Get(e.prefix + "/hosts/w1.example.com"); err != nil || st3.Mzxid == st1.Mzxid {
		t.Errorf("a due heartbeat was not written (%v)", err)
	}
	// A user with no cache directory to write writes no heartbeat at all
	// (never one per run); the run itself is unaffected.
	t.Run("no cache dir", func(t *testing.T) {
		e := newEnv(t, srv, `{"groups":{}}`)
		if err := os.WriteFile(filepath.Join(e.dir, "cache"), nil, 0o644); err != nil {
			t.Fatal(err) // a file where the cache directory would be
		}
		for range 2 {
			if r := e.run("--hostname", "w2.example.com", "--lockname", "hb", "--", "true"); r.code != 0 {
				t.Fatalf("run: exit %d %s", r.code, r.stderr)
			}
		}
		if ok, _, err := e.admin.Exists(e.prefix + "/hosts/w2.example.com"); ok || err != nil {
			t.Errorf("heartbeat written without a stamp (exists=%v, %v)", ok, err)
		}
	})
}
