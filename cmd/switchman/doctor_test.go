package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
)

// doctorLines runs `switchman doctor` with cfg and returns its exit code
// and output lines, checking that every line has the one-line form.
func (e *env) doctor(cfg string, extra ...string) (int, []string) {
	e.t.Helper()
	c := *e
	c.cfg = cfg
	r := c.run(append([]string{"doctor", "-c", cfg}, extra...)...)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	form := regexp.MustCompile(`^(OK  |WARN|FAIL) [a-z]+: `)
	for _, l := range lines {
		if !form.MatchString(l) {
			e.t.Errorf("doctor line %q is not \"OK|WARN|FAIL check: ...\"", l)
		}
	}
	if r.stderr != "" {
		e.t.Errorf("doctor wrote to stderr: %q", r.stderr)
	}
	return r.code, lines
}

// hasLine reports whether a line starts with outcome and contains all of
// parts.
func hasLine(lines []string, outcome string, parts ...string) bool {
	for _, l := range lines {
		if !strings.HasPrefix(l, outcome) {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestDoctor(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"],"all":["g","other.example.com"]}}`)
	if err := os.Chmod(e.cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	open := e.withConfig("open.yaml")
	if err := os.Chmod(open.cfg, 0o646); err != nil {
		t.Fatal(err)
	}
	write := func(name string, c zktest.SwitchmanConfig) string {
		return zktest.WriteConfig(t, filepath.Join(e.dir, name), c)
	}
	missing := write("missing.yaml", zktest.SwitchmanConfig{Hosts: e.addr, Prefix: "/no/such/prefix"})
	down := write("down.yaml", zktest.SwitchmanConfig{Hosts: "127.0.0.1:1", Prefix: "/x", ConnectTimeout: "0.5"})
	nolog := e.configAs("nolog.yaml", func(c *zktest.SwitchmanConfig) { c.Logfile = "/nonexistent/dir/" + c.Logfile })
	unresolvable := write("unresolvable.yaml", zktest.SwitchmanConfig{
		Hosts: "no-such-zk1.invalid:2181," + e.addr + ",no-such-zk2.invalid:2181", Prefix: e.prefix})
	notifying := e.withConfig("notify.yaml", "notify: [true, 'sh /no/such/script.sh x', no-such-notifier-xyz]",
		"notifiers: {oncall: [true, no-such-notifier-abc]}")
	original := write("switchman.conf", zktest.SwitchmanConfig{JSON: true, Hosts: e.addr, Prefix: e.prefix,
		TerminationTimeout: "30", Extra: []string{`"comment": "puppet"`}})
	tests := []struct {
		name  string
		cfg   string
		code  int
		lines [][]string // outcome, then parts the line contains
	}{
		{"the original's JSON config", original, 0, [][]string{
			{"OK", "config:", "readable and valid"},
			{"WARN", "config: " + original, `unknown key "comment" ignored`},
			{"WARN", "config: " + original, `"termination_timeout" (30s) exceeds "session_timeout" (10s)`, "a stop after a lost session uses a grace"},
		}},
		{"healthy", e.cfg, 0, [][]string{
			{"OK", "config:", "in effect (given with --config), readable and valid"},
			{"OK", "log: " + filepath.Join(e.dir, "switchman.log") + " writable by "},
			{"OK", "config:", "not writable by others"},
			{"OK", "zookeeper: connected to " + e.addr},
			{"OK", "zookeeper: " + e.addr + " version 3."},
			{"WARN", "zookeeper: no local sessions", "runs standalone", "localSessionsEnabled=true"},
			{"OK", "prefix: " + e.prefix + " exists"},
			{"WARN", "acl: " + e.prefix + " world:anyone:cdrwa", "anyone can rewrite"},
			{"OK", "identity: h1.example.com is in groups all, g"},
			{"OK", "clock: offset to zookeeper"},
		}},
		{"notify commands", notifying.cfg, exitcode.Failed, [][]string{
			{"OK", "notify: true can run"},
			{"FAIL", "notify: sh /no/such/script.sh x: script:", "no such file"},
			{"FAIL", "notify: no-such-notifier-xyz:", "not found"},
			{"FAIL", "notify: no-such-notifier-abc:", "not found"}}},
		{"config writable by others", open.cfg, exitcode.Failed, [][]string{{"FAIL", "writable by others", "chmod o-w"}}},
		{"log not writable", nolog.cfg, exitcode.Failed, [][]string{{"FAIL", "log: ", "cannot write /nonexistent/dir/"}}},
		{"prefix missing", missing, exitcode.Failed, [][]string{{"FAIL", "prefix: /no/such/prefix does not exist"}}},
		{"unresolvable servers named", unresolvable, exitcode.Failed, [][]string{
			{"WARN", "zookeeper: no-such-zk1.invalid (zkhosts) does not resolve"},
			{"WARN", "zookeeper: no-such-zk2.invalid (zkhosts) does not resolve"}}},
		{"zookeeper unreachable", down, exitcode.Failed, [][]string{{"FAIL", "zookeeper:", "unreachable", "check zkhosts"}}},
		{"no config", filepath.Join(e.dir, "none.yaml"), exitcode.Failed, [][]string{{"FAIL", "config:", "does not exist"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, lines := e.doctor(tt.cfg, "--hostname", "h1.example.com")
			t.Logf("doctor output:\n%s", strings.Join(lines, "\n"))
			if code != tt.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, tt.code, strings.Join(lines, "\n"))
			}
			for _, want := range tt.lines {
				if !hasLine(lines, want[0], want[1:]...) {
					t.Errorf("no %s line with %q in:\n%s", want[0], want[1:], strings.Join(lines, "\n"))
				}
			}
			if hasLine(lines, "", ": lock: ") || hasLine(lines, "", ": fleet: ") {
				t.Errorf("a line carries an internal prefix:\n%s", strings.Join(lines, "\n"))
			}
			if !hasLine(lines, "", "cron: ") {
				t.Errorf("no cron line in:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

// TestDoctorLocalSessions: a server with local sessions (a quorum of one)
// is reported OK; TestDoctor's standalone server gets the warning.
func TestDoctorLocalSessions(t *testing.T) {
	srv := zktest.Start(t, zktest.Options{LocalSessions: true})
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	code, lines := e.doctor(e.cfg, "--hostname", "h1.example.com")
	if code != 0 || !hasLine(lines, "OK", "zookeeper: local sessions: a skipped run costs no transaction", "counts") {
		t.Errorf("exit %d, output:\n%s", code, strings.Join(lines, "\n"))
	}
}

// TestDoctorProtectedPrefix checks the ACL lines of a locked-down prefix
// with and without credentials.
func TestDoctorProtectedPrefix(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	e.protect("switchman", "right")
	authed := e.withConfig("authed.yaml", "auth_file: "+e.authFile("s.secret", "switchman:right", 0o600))
	code, lines := e.doctor(authed.cfg, "--hostname", "h1.example.com")
	if code != 0 || !hasLine(lines, "OK", "acl: "+e.prefix+" digest:switchman:") ||
		!hasLine(lines, "OK", "digest auth as switchman") || !hasLine(lines, "OK", "identity: h1.example.com is in groups g") {
		t.Errorf("with credentials: exit %d, output:\n%s", code, strings.Join(lines, "\n"))
	}
	code, lines = e.doctor(e.cfg, "--hostname", "h1.example.com")
	if code != exitcode.Failed || !hasLine(lines, "FAIL", "groups:", "not authorized") {
		t.Errorf("without credentials: exit %d, want %d and a FAIL groups line; output:\n%s", code, exitcode.Failed, strings.Join(lines, "\n"))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDoctorCgroup: doctor's cgroup line says what cgroup.Probe finds for
// this user: a cgroup per run and its controllers, or why none; and that
// the config turned them off.
func TestDoctorCgroup(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	off := e.withConfig("off.yaml", "cgroup: off")
	info, probeErr := cgroup.Probe()
	tests := []struct {
		name string
		cfg  string
		want []string // outcome, then parts of the cgroup line
	}{
		{"default", e.cfg, []string{"OK", "cgroup: each run gets a cgroup of its own below " + info.Parent, "with controllers: "}},
		{"off", off.cfg, []string{"OK", "cgroup: off in " + off.cfg, "a run that asks for a cap gets a cgroup of its own"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if probeErr != nil {
				want = []string{"WARN", "cgroup: runs get no cgroup of their own: " + probeErr.Error(), "runs work as without cgroups"}
			}
			_, lines := e.doctor(tt.cfg, "--hostname", "h1.example.com")
			if !hasLine(lines, want[0], want[1:]...) {
				t.Errorf("no %s line with %q in:\n%s", want[0], want[1:], strings.Join(lines, "\n"))
			}
		})
	}
}
