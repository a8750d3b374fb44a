package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
)

// zdata reads a znode of the test's prefix tree.
func (e *env) zdata(rel string) string {
	e.t.Helper()
	b, _, err := e.admin.Get(e.prefix + rel)
	if err != nil {
		e.t.Fatalf("get %s%s: %v", e.prefix, rel, err)
	}
	return string(b)
}

func TestGroupsEditAndHistory(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"reports":["a.example.com"]},"resources":[]}`)
	steps := []struct {
		name string
		args []string
		want []string // groups.reports after the step
	}{
		{"add", []string{"groups", "add", "reports", "b.example.com"}, []string{"a.example.com", "b.example.com"}},
		{"move", []string{"groups", "move", "reports", "--from", "a.example.com", "--to", "c.example.com"}, []string{"c.example.com", "b.example.com"}},
		{"remove", []string{"groups", "remove", "reports", "b.example.com"}, []string{"c.example.com"}},
		{"set", []string{"groups", "set", "reports", "d.example.com", "e.example.com"}, []string{"d.example.com", "e.example.com"}},
	}
	for _, s := range steps {
		r := e.run(s.args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", s.name, r.code, r.stderr)
		}
		if got := e.reports(); strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Fatalf("%s: reports = %v, want %v", s.name, got, s.want)
		}
	}
	// dry run: a diff on stdout, nothing written
	r := e.run("groups", "add", "reports", "z.example.com", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "+       \"z.example.com\"") || strings.Contains(strings.Join(e.reports(), ","), "z.") {
		t.Fatalf("dry run: exit %d, stdout %q, reports %v", r.code, r.stdout, e.reports())
	}
	// history lists four changes; rollback to the first restores a, b
	r = e.run("groups", "history", "--output", "json")
	var hist []struct {
		N    int64  `json:"n"`
		What string `json:"what"`
		Who  string `json:"who"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &hist); err != nil || len(hist) != 4 {
		t.Fatalf("history: %v %q", err, r.stdout)
	}
	if !strings.HasPrefix(hist[0].What, "add reports") || hist[0].Who == "" {
		t.Fatalf("history[0] = %+v", hist[0])
	}
	r = e.run("groups", "rollback", itoa(hist[0].N))
	if r.code != 0 || strings.Join(e.reports(), ",") != "a.example.com,b.example.com" {
		t.Fatalf("rollback: exit %d %s; reports %v", r.code, r.stderr, e.reports())
	}
	r = e.run("groups", "rollback", itoa(hist[0].N), "--before")
	if r.code != 0 || strings.Join(e.reports(), ",") != "a.example.com" {
		t.Fatalf("rollback --before: exit %d %s; reports %v", r.code, r.stderr, e.reports())
	}
	// show, table and json
	r = e.run("groups", "show", "reports", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"hosts": [`) {
		t.Fatalf("show: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// The standby order is the members' order, kept by the edits.
	if r := e.run("groups", "set", "reports", "b.example.com", "a.example.com"); r.code != 0 {
		t.Fatalf("set: %d %s", r.code, r.stderr)
	}
	r = e.run("groups", "show", "reports", "-o", "json")
	if !strings.Contains(r.stdout, `"standby_order": [
      "b.example.com",
      "a.example.com"
    ]`) {
		t.Fatalf("show json: no standby order b, a in %q", r.stdout)
	}
	r = e.run("groups", "show", "reports")
	if !strings.Contains(r.stdout, "a.example.com,b.example.com  b.example.com,a.example.com") {
		t.Fatalf("show: hosts and standby order not in %q", r.stdout)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (e *env) reports() []string {
	e.t.Helper()
	var d struct {
		Groups map[string][]string `json:"groups"`
	}
	if err := json.Unmarshal([]byte(e.zdata("")), &d); err != nil {
		e.t.Fatal(err)
	}
	return d.Groups["reports"]
}

func TestGroupsInvalidRefusedNothingWritten(t *testing.T) {
	srv := sharedZK(t)
	const orig = `{"groups":{"reports":["a.example.com"]}}`
	e := newEnv(t, srv, orig)
	bad := filepath.Join(e.dir, "bad.json")
	cases := []struct {
		name string
		data string
		args []string
	}{
		{"not json", `{"groups": [`, nil},
		{"groups not a map", `{"groups": ["a"]}`, nil},
		{"bad host", `{"groups": {"g": ["bad host!"]}}`, nil},
		{"resources not list", `{"groups": {}, "resources": "db"}`, nil},
		{"bad member via add", "", []string{"groups", "add", "reports", "no spaces allowed"}},
		{"unknown group remove", "", []string{"groups", "remove", "nope", "a.example.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if args == nil {
				if err := os.WriteFile(bad, []byte(c.data), 0o644); err != nil {
					t.Fatal(err)
				}
				args = []string{"groups", "import", bad}
			}
			r := e.run(args...)
			if r.code != exitcode.DataErr || r.stderr == "" || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want %d and one line", r.code, r.stderr, exitcode.DataErr)
			}
			if got := e.zdata(""); got != orig {
				t.Fatalf("data changed to %q", got)
			}
		})
	}
	if _, _, err := e.admin.Get(e.prefix + "/history"); err == nil {
		if kids, _, _ := e.admin.Children(e.prefix + "/history"); len(kids) != 0 {
			t.Fatalf("history written for refused writes: %v", kids)
		}
	}
}

// TestGroupsConcurrentSet races two processes doing a compare-and-set on
// the same version: an editor script holds both between read and write.
func TestGroupsConcurrentSet(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"reports":["a.example.com"]}}`)
	// Each `groups edit` reads the data, then runs the "editor", which
	// waits until both editors are running before saving: both writes
	// then compare against the same version.
	gate := filepath.Join(e.dir, "gate")
	mk := func(host string) string {
		p := filepath.Join(e.dir, "ed-"+host)
		script := "#!/bin/sh\ntouch " + gate + "-" + host + "\n" +
			"i=0; while [ $(ls " + gate + "-* | wc -l) -lt 2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n" +
			"sed -i 's/a.example.com/" + host + "/' \"$1\"\n"
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i, h := range []string{"x.example.com", "y.example.com"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.cmd("groups", "edit")
			c.Env = append(c.Env, "EDITOR="+mk(h), "VISUAL=")
			c.Stdin = strings.NewReader("n\n")
			var out, errb strings.Builder
			c.Stdout, c.Stderr = &out, &errb
			_ = c.Start()
			code := waitExit(t, c, 30e9)
			res[i] = result{code: code, stdout: out.String(), stderr: errb.String()}
		}()
	}
	wg.Wait()
	wins, conflicts := 0, 0
	for _, r := range res {
		switch {
		case r.code == 0:
			wins++
		case r.code == exitcode.LeaseWait && strings.Contains(r.stderr, "modified by someone else"):
			conflicts++
		default:
			t.Fatalf("unexpected: exit %d stderr %q", r.code, r.stderr)
		}
	}
	if wins != 1 || conflicts != 1 {
		t.Fatalf("wins %d conflicts %d; want 1 and 1: %+v", wins, conflicts, res)
	}
	got := strings.Join(e.reports(), ",")
	if got != "x.example.com" && got != "y.example.com" {
		t.Fatalf("reports = %q", got)
	}
}

func TestGroupsInit(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, "")
	// point the config at a fresh, deeper prefix
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.Prefix = e.prefix + "/deep/er" })
	r := e.run("groups", "init")
	if r.code != 0 {
		t.Fatalf("init: %d %s", r.code, r.stderr)
	}
	if got := e.zdata("/deep/er"); !strings.Contains(got, `{"groups":{},"resources":[]}`) {
		t.Fatalf("init data %q", got)
	}
	if r := e.run("groups", "init"); r.code != 0 || !strings.Contains(r.stdout, "already exists") {
		t.Fatalf("second init: %d %q", r.code, r.stdout)
	}
}

// TestGroupsOriginalReadable checks that group writes stay readable by the
// original tool: compact JSON, a write longer than its data_read_len
// refused unless overridden, and a warning for host names it would not
// match.
func TestGroupsOriginalReadable(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, "{\n  \"groups\": {\n    \"g\": [\"a.example.com\"]\n  }\n}")
	// The same content, stored indented by an older version: rewritten compact.
	r := e.run("groups", "add", "g", "a.example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "stored as compact JSON") {
		t.Fatalf("re-add: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if got := e.zdata(""); got != `{"groups":{"g":["a.example.com"]},"resources":[]}` {
		t.Fatalf("stored %s, want compact JSON", got)
	}
	r = e.run("groups", "add", "g", "VM", "web1.example.com.")
	if r.code != 0 || !strings.Contains(r.stderr, `member "VM" matches host "vm" here`) || !strings.Contains(r.stderr, `member "web1.example.com."`) {
		t.Fatalf("add with names the original compares exactly: exit %d stderr %q", r.code, r.stderr)
	}
	groups := map[string][]string{}
	for i := 0; i < 2000; i++ {
		groups["team-"+strconv.Itoa(i)] = []string{"host-" + strconv.Itoa(i) + ".example.com"}
	}
	b, _ := json.Marshal(map[string]any{"groups": groups})
	big := filepath.Join(e.dir, "big.json")
	if err := os.WriteFile(big, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := e.zdata("")
	r = e.run("groups", "import", big)
	if r.code != exitcode.DataErr || !strings.Contains(r.stderr, "reads at most 65535") || e.zdata("") != before {
		t.Fatalf("import of %d bytes: exit %d stderr %q; want %d and nothing written", len(b), r.code, r.stderr, exitcode.DataErr)
	}
	if r = e.run("groups", "import", big, "--ignore-original-limit"); r.code != 0 || len(e.zdata("")) <= 65535 {
		t.Fatalf("import with --ignore-original-limit: exit %d stderr %q", r.code, r.stderr)
	}
}
