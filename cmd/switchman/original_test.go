package main

// The side-by-side suite: the original Perl switchman (1.16, built from
// ../shared/perl-switchman) and this tool on one real ZooKeeper, with one
// config file (the original's JSON, with a key only the original ignores).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

// originalRounds sets the mixed herd's rounds: a few in the suite, many
// for a long soak (go test -run TestOriginalMixedHerd -original-rounds 74).
var originalRounds = flag.Int("original-rounds", 5, "rounds of the mixed herd with the original switchman")

var original struct {
	once sync.Once
	bin  string
	err  error
}

// originalBuildScript is where the original's build lives: beside the
// clone, or where SWITCHMAN_ORIGINAL_BUILD says.
func originalBuildScript() string {
	if p := os.Getenv("SWITCHMAN_ORIGINAL_BUILD"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "perl-switchman", "build.sh")
}

// originalSwitchman returns the original tool's path, building it once per
// test run beside the binary under test. Without the build script it
// skips, unless CI is set: CI has ../shared, so its absence is a failure.
func originalSwitchman(t *testing.T) string {
	t.Helper()
	zktest.SkipShort(t)
	script, err := filepath.Abs(originalBuildScript())
	if err == nil {
		_, err = os.Stat(script)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the original switchman's build script is missing under CI: %v", err)
		}
		t.Skipf("no %s (the original switchman's build, beside the clone as in CI): side-by-side tests skipped", script)
	}
	original.once.Do(func() {
		dest := filepath.Join(filepath.Dir(binPath), "original")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "bash", script, dest).CombinedOutput()
		if err != nil {
			original.err = fmt.Errorf("build the original with %s: %v\n%s", script, err, out)
			return
		}
		original.bin = filepath.Join(dest, "bin", "switchman")
	})
	if original.err != nil {
		t.Fatal(original.err)
	}
	return original.bin
}

// side is one env shared by both tools: the original's JSON config (with a
// key this tool does not know, and a termination timeout longer than the
// default session timeout: the two things it used to refuse).
type side struct {
	*env
	orig string
	json string
}

func newSide(t *testing.T, data string) *side {
	t.Helper()
	orig := originalSwitchman(t)
	s := &side{env: newEnv(t, sharedZK(t), data), orig: orig}
	s.json = zktest.WriteConfig(t, filepath.Join(s.dir, "switchman.conf"), zktest.SwitchmanConfig{JSON: true,
		Hosts: s.addr, Prefix: s.prefix, TerminationTimeout: "30",
		Extra: []string{`"comment": "the original ignores keys it does not know"`}})
	return s
}

// tool is one of the two implementations.
type tool string

const (
	goTool   tool = "go"
	perlTool tool = "original"
)

// command returns the process running the tool with the shared config.
func (s *side) command(which tool, args ...string) *exec.Cmd {
	bin := binPath
	if which == perlTool {
		bin = s.orig
	}
	c := exec.Command(bin, append([]string{"-c", s.json}, args...)...)
	c.Env = append(os.Environ(), "DEBUG=", "GORACE=atexit_sleep_ms=0", "XDG_CACHE_HOME="+filepath.Join(s.dir, "cache"), "TOOL="+string(which))
	return c
}

type outcome struct {
	code   int
	stderr string
}

// run runs one tool to completion, bounded.
func (s *side) run(which tool, args ...string) outcome {
	s.t.Helper()
	c := s.command(which, args...)
	var errb bytes.Buffer
	c.Stderr = &errb
	// Errorf, not Fatalf: run is called from a goroutine per tool.
	if err := c.Start(); err != nil {
		s.t.Errorf("%s switchman: %v", which, err)
		return outcome{-1, err.Error()}
	}
	if !waitOrKill(c, 60*time.Second) {
		s.t.Errorf("%s switchman %q did not finish in 60s: %s", which, args, errb.String())
	}
	return outcome{c.ProcessState.ExitCode(), errb.String()}
}

// bothTools runs f for each tool at once (each with its own lock and
// marks): the suite's time is mostly the original's start-up.
func bothTools(f func(which tool)) {
	var wg sync.WaitGroup
	for _, w := range []tool{goTool, perlTool} {
		wg.Go(func() { f(w) })
	}
	wg.Wait()
}

// readLines reads a file of lines; a missing file has none.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitFor polls cond, bounded.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOriginalMixedHerd starts rounds of 3 original and 3 Go instances on
// one lock: at once in even rounds (this tool starts faster and wins), and
// in odd rounds the original's first, the Go ones as soon as the lock node
// exists. The child holds until the test releases it, after every other
// instance has exited: so exactly one child must have started in each
// round, and none may overlap.
func TestOriginalMixedHerd(t *testing.T) {
	s := newSide(t, `{}`)
	log := filepath.Join(s.dir, "herd.log")
	release := filepath.Join(s.dir, "release")
	child := fmt.Sprintf(`echo "start $TOOL" >>%s; while [ ! -e %s ]; do sleep 0.05; done; echo end >>%s`, log, release, log)
	wins := map[string]int{}
	rounds, each := *originalRounds, 3
	for round := 0; round < rounds; round++ {
		os.Remove(release)
		type proc struct {
			cmd  *exec.Cmd
			done chan struct{}
		}
		var procs []proc
		start := func(which tool) {
			c := s.command(which, "--lockname", "herd", "--", "/bin/sh", "-c", child)
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			p := proc{c, make(chan struct{})}
			go func() { _ = p.cmd.Wait(); close(p.done) }()
			procs = append(procs, p)
		}
		first, second := goTool, perlTool
		if round%2 == 1 {
			first, second = perlTool, goTool
		}
		for i := 0; i < each; i++ {
			start(first)
		}
		if round%2 == 1 {
			waitFor(t, 30*time.Second, "the original to take the lock", func() bool {
				ok, _, _ := s.admin.Exists(s.prefix + "/locks/herd")
				return ok
			})
		}
		for i := 0; i < each; i++ {
			start(second)
		}
		t.Cleanup(func() {
			for _, p := range procs {
				_ = p.cmd.Process.Kill()
			}
		})
		exited := func() int {
			n := 0
			for _, p := range procs {
				select {
				case <-p.done:
					n++
				default:
				}
			}
			return n
		}
		waitFor(t, 60*time.Second, "all but one instance to skip the busy lock", func() bool { return exited() >= 2*each-1 })
		lines := readLines(t, log)
		if n := len(lines); n == 0 || !strings.HasPrefix(lines[n-1], "start ") {
			t.Fatalf("round %d: no child running while the others skipped: %q", round, lines)
		}
		if err := os.WriteFile(release, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "the holder to finish", func() bool { return exited() == 2*each })
		for _, p := range procs {
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("round %d: an instance exited %d", round, code)
			}
		}
		lines = readLines(t, log)
		if len(lines) != 2*(round+1) {
			t.Fatalf("round %d: log %q: want one start and one end per round (exactly one child, no overlap)", round, lines)
		}
		wins[strings.TrimPrefix(lines[2*round], "start ")]++
	}
	for i, l := range readLines(t, log) {
		if want := i%2 == 1; (l == "end") != want {
			t.Fatalf("line %d %q: runs overlapped", i+1, l)
		}
	}
	t.Logf("%d rounds of %d original + %d Go instances: children started by go %d, original %d; no overlap",
		rounds, each, each, wins["go"], wins["original"])
}

// TestOriginalMixedLeases runs 3 original and 3 Go instances leasing one
// unit each of a resource of 2 units, each under its own lock: never more
// than 2 children at once, every one runs, and no lease node is left.
func TestOriginalMixedLeases(t *testing.T) {
	s := newSide(t, `{"groups":{},"resources":["db"]}`)
	log := filepath.Join(s.dir, "leases.log")
	child := fmt.Sprintf(`echo start >>%s; sleep 0.4; echo end >>%s`, log, log)
	var wg sync.WaitGroup
	codes := make([]outcome, 6)
	for i := range codes {
		which := goTool
		if i%2 == 1 {
			which = perlTool
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = s.run(which, "--lockname", fmt.Sprintf("lease-%d", i), "--lease", "db=1:2", "--", "/bin/sh", "-c", child)
		}()
	}
	wg.Wait()
	for i, o := range codes {
		if o.code != 0 {
			t.Errorf("instance %d exited %d: %s", i, o.code, o.stderr)
		}
	}
	running, most, starts := 0, 0, 0
	for _, l := range readLines(t, log) {
		if l == "start" {
			running++
			starts++
		} else {
			running--
		}
		most = max(most, running)
	}
	if most > 2 || starts != 6 {
		t.Fatalf("%d children ran, at most %d at once; want 6, at most 2", starts, most)
	}
	for _, dir := range []string{s.prefix + "/semaphores/db/leases", s.prefix + "/queues/db"} {
		kids, _, err := s.admin.Children(dir)
		if err != nil && err != zk.ErrNoNode {
			t.Fatal(err)
		}
		if len(kids) != 0 {
			t.Errorf("%s left behind: %q", dir, kids)
		}
	}
	t.Logf("6 mixed instances on db=1:2: at most %d children at once, nothing left", most)
}

// perlFQDN is the host name the original matches in group data.
func perlFQDN(t *testing.T, s *side) string {
	t.Helper()
	env := readLines(t, filepath.Join(filepath.Dir(s.orig), "..", "env"))
	c := exec.Command("perl", "-MNet::Domain=hostfqdn", "-e", "print hostfqdn()")
	c.Env = append(os.Environ(), env...)
	out, err := c.Output()
	if err != nil {
		t.Fatal(err)
	}
	if mine := config.FQDN(); mine != string(out) {
		t.Fatalf("this host is %q to the original and %q to this tool: group decisions would differ", out, mine)
	}
	return string(out)
}

// decide runs one tool with args and a child that leaves a mark, and
// reports whether the child ran.
func (s *side) decide(which tool, args ...string) (bool, outcome) {
	s.t.Helper()
	mark := filepath.Join(s.dir, "mark-"+string(which))
	os.Remove(mark)
	o := s.run(which, append(args, "--", "/bin/sh", "-c", "touch "+mark)...)
	_, err := os.Stat(mark)
	return err == nil, o
}

// TestOriginalGroupsDecideAlike gives both tools the same group data and
// checks they decide alike: plain host, list, nesting, cycles, a host
// spelled differently, and 60 KB of data written by `switchman groups`.
func TestOriginalGroupsDecideAlike(t *testing.T) {
	s := newSide(t, `{}`)
	me := perlFQDN(t, s)
	tests := []struct {
		name  string
		data  string
		group string
		runs  bool
	}{
		{"plain host", fmt.Sprintf(`{"groups":{"g":%q}}`, me), "g", true},
		{"list", fmt.Sprintf(`{"groups":{"g":["other.example.com",%q]}}`, me), "g", true},
		{"not in the list", `{"groups":{"g":["other.example.com"]}}`, "g", false},
		{"nesting", fmt.Sprintf(`{"groups":{"g":["h"],"h":["i"],"i":[%q]}}`, me), "g", true},
		{"cycle with the host", fmt.Sprintf(`{"groups":{"a":["b"],"b":["a",%q]}}`, me), "a", true},
		{"cycle without the host", `{"groups":{"a":["b"],"b":["a","x.example.com"]}}`, "a", false},
		{"empty group", `{"groups":{"g":[]}}`, "g", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.admin.Set(s.prefix, []byte(tt.data), -1); err != nil {
				t.Fatal(err)
			}
			bothTools(func(which tool) {
				ran, o := s.decide(which, "--lockname", "groups-"+string(which), "-g", tt.group)
				if ran != tt.runs || o.code != 0 {
					t.Errorf("%s: ran %v exit %d, want ran %v exit 0: %s", which, ran, o.code, tt.runs, o.stderr)
				}
			})
		})
	}
	t.Run("60 KB written by switchman groups", func(t *testing.T) {
		groups := map[string][]string{"g": {me}}
		for i := 0; len(groups) < 950; i++ {
			groups[fmt.Sprintf("team-%03d", i)] = []string{fmt.Sprintf("host-%03d-a.example.com", i), fmt.Sprintf("host-%03d-b.example.com", i)}
		}
		b, _ := json.MarshalIndent(map[string]any{"groups": groups, "resources": []string{}}, "", "    ")
		file := filepath.Join(s.dir, "big.json")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if r := s.env.run("groups", "import", file); r.code != 0 {
			t.Fatalf("groups import: exit %d %s", r.code, r.stderr)
		}
		stored, _, err := s.admin.Get(s.prefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) < 55_000 || len(stored) > 65535 {
			t.Fatalf("stored %d bytes (file %d): want about 60 KB, at most the original's 65535", len(stored), len(b))
		}
		bothTools(func(which tool) {
			if ran, o := s.decide(which, "--lockname", "big-"+string(which), "-g", "g"); !ran || o.code != 0 {
				t.Errorf("%s: ran %v exit %d on %d bytes of group data: %s", which, ran, o.code, len(stored), o.stderr)
			}
		})
	})
}

// TestOriginalLineShapes runs each line shape the original reads by its
// own rules (options after the command, abbreviations, one-dash names,
// negation, one-word shell commands) through both tools: the same decision.
func TestOriginalLineShapes(t *testing.T) {
	s := newSide(t, `{}`)
	me := perlFQDN(t, s)
	if _, err := s.admin.Set(s.prefix, []byte(fmt.Sprintf(`{"groups":{"here":[%q],"other":["x.example.com"]}}`, me)), -1); err != nil {
		t.Fatal(err)
	}
	marker := func(which tool) string { return filepath.Join(s.dir, "shape-"+string(which)) }
	// Run by execvp's fallback under the original: /bin/sh SCRIPT ARGS.
	script := filepath.Join(s.dir, "no-interpreter")
	if err := os.WriteFile(script, []byte("touch \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args func(mark string) []string
		runs bool
	}{
		{"group after the command", func(m string) []string { return []string{"touch", m, "-g", "other"} }, false},
		{"group after the command, member", func(m string) []string { return []string{"touch", m, "-g", "here"} }, true},
		{"-group is --group", func(m string) []string { return []string{"-group", "other", "touch", m} }, false},
		{"--gr abbreviation", func(m string) []string { return []string{"--gr", "other", "touch", m} }, false},
		{"--lockn abbreviation", func(m string) []string { return []string{"--lockn", filepath.Base(m), "-g", "here", "touch", m} }, true},
		{"--nolock", func(m string) []string { return []string{"--nolock", "touch", m} }, true},
		{"--no-lock", func(m string) []string { return []string{"--no-lock", "--", "touch", m} }, true},
		{"--lock", func(m string) []string { return []string{"--lock", "--", "touch", m} }, true},
		{"one word through the shell", func(m string) []string { return []string{"--", "cd / && touch " + m} }, true},
		{"one word split at blanks", func(m string) []string { return []string{"--", "touch " + m} }, true},
		{"unknown option after the command", func(m string) []string { return []string{"touch", m, "-x"} }, false},
		{"script without #!", func(m string) []string { return []string{"--", script, m} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bothTools(func(which tool) {
				m := marker(which)
				os.Remove(m)
				// Each tool its own lock, given first so that a lock name
				// in the shape wins.
				o := s.run(which, append([]string{"--lockname", "shape-" + string(which)}, tt.args(m)...)...)
				_, err := os.Stat(m)
				if ran := err == nil; ran != tt.runs {
					t.Errorf("%s: ran %v (exit %d), want %v: %s", which, ran, o.code, tt.runs, o.stderr)
				}
			})
		})
	}
}

// TestOriginalExitCodes runs both tools into the same situations and checks
// each exits as the README's table of differences says.
func TestOriginalExitCodes(t *testing.T) {
	s := newSide(t, `{"groups":{"g":["x.example.com"]},"resources":[]}`)
	tests := []struct {
		name       string
		data       string // group data to set first, if any
		args       []string
		perl, mine int
	}{
		{"child status", "", []string{"--", "/bin/sh", "-c", "exit 3"}, 3, 3},
		{"child killed by a signal", "", []string{"--", "/bin/sh", "-c", "kill -9 $$"}, 0, 128 + 9},
		{"host not in group", "", []string{"-g", "g", "--", "true"}, 0, 0},
		{"no command", "", []string{"-g", "g"}, 255, exitcode.Usage},
		{"unknown option", "", []string{"--frob", "--", "true"}, 255, exitcode.Usage},
		{"command not found", "", []string{"--", "/nonexistent/cmd"}, 2, exitcode.NotFound},
		{"unknown group", "", []string{"-g", "nosuch", "--", "true"}, 255, exitcode.DataErr},
		{"bad group data", `{"groups":`, []string{"-g", "g", "--", "true"}, 255, exitcode.DataErr},
		{"unknown resource", `{}`, []string{"--lease", "nosuch=1:2", "--", "true"}, 255, exitcode.DataErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data != "" {
				if _, err := s.admin.Set(s.prefix, []byte(tt.data), -1); err != nil {
					t.Fatal(err)
				}
			}
			bothTools(func(which tool) {
				want := tt.mine
				if which == perlTool {
					want = tt.perl
				}
				if o := s.run(which, append([]string{"--lockname", "codes-" + string(which)}, tt.args...)...); o.code != want {
					t.Errorf("%s: exit %d, want %d: %s", which, o.code, want, o.stderr)
				}
			})
		})
	}
}

// TestOriginalStatusAndKill: while the original holds a lock and leases
// (its nodes say "host pid"), and this tool holds leases of the same
// resource, status names both holders with the units they hold, and kill
// on the original's lock says at once that it cannot reach it.
func TestOriginalStatusAndKill(t *testing.T) {
	s := newSide(t, `{"groups":{},"resources":["db"]}`)
	me := perlFQDN(t, s)
	release := filepath.Join(s.dir, "release")
	hold := fmt.Sprintf(`touch %s.$TOOL; while [ ! -e %s ]; do sleep 0.05; done`, release, release)
	var procs []*exec.Cmd
	for _, c := range []*exec.Cmd{
		s.command(perlTool, "--lockname", "held", "--lease", "db=2:3", "--", "/bin/sh", "-c", hold),
		s.command(goTool, "--lockname", "mine", "--lease", "db=1:3", "--", "/bin/sh", "-c", hold),
	} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, c)
	}
	t.Cleanup(func() {
		os.WriteFile(release, nil, 0o644)
		for _, c := range procs {
			waitOrKill(c, 20*time.Second)
		}
	})
	waitFor(t, 60*time.Second, "both children to run", func() bool {
		_, e1 := os.Stat(release + ".original")
		_, e2 := os.Stat(release + ".go")
		return e1 == nil && e2 == nil
	})
	r := s.env.run("status", "-o", "json")
	var st struct {
		Locks []struct {
			Lock     string `json:"lock"`
			Host     string `json:"host"`
			PID      int    `json:"pid"`
			Original bool   `json:"original"`
		} `json:"locks"`
		Semaphores map[string]struct {
			Used    int64    `json:"used"`
			Total   int64    `json:"total"`
			Holders []string `json:"holders"`
		} `json:"semaphores"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	var found bool
	for _, l := range st.Locks {
		if l.Lock == "held" {
			found = true
			if l.Host != me || l.PID != procs[0].Process.Pid || !l.Original {
				t.Errorf("status shows the original's lock as %+v; want host %s pid %d, original", l, me, procs[0].Process.Pid)
			}
		}
	}
	if !found {
		t.Errorf("status does not list the original's lock: %s", r.stdout)
	}
	db := st.Semaphores["db"]
	holders := strings.Join(db.Holders, " ")
	if db.Used != 3 || db.Total != 3 || !strings.Contains(holders, fmt.Sprintf("%s:%dx2(original)", me, procs[0].Process.Pid)) ||
		!strings.Contains(holders, fmt.Sprintf("%s:%d", me, procs[1].Process.Pid)) {
		t.Errorf("status shows db as %+v; want 3 of 3 used, by the original (2) and this tool (1)", db)
	}
	start := time.Now()
	k := s.env.run("kill", "held")
	if k.code != exitcode.Unavailable || !strings.Contains(k.stderr, "held by the original switchman") || time.Since(start) > 10*time.Second {
		t.Errorf("kill on the original's lock: exit %d after %s: %s; want %d at once", k.code, time.Since(start), k.stderr, exitcode.Unavailable)
	}
	if ok, _, _ := s.admin.Exists(path.Join(s.prefix, lock.KillDir, "held")); ok {
		t.Error("kill left a request no original reads")
	}
}
