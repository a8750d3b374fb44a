package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/dashboard"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

// programsNamedLikeCommands puts an executable named after every command
// of switchman on a directory it returns: each appends its name to the
// file marks when run, so a command line that ran a program instead of
// the command leaves a mark.
func programsNamedLikeCommands(t *testing.T) (dir, marks string) {
	t.Helper()
	dir = t.TempDir()
	marks = filepath.Join(dir, "marks")
	for _, name := range cmdline.Commands {
		testenv.WriteFile(t, filepath.Join(dir, name), []byte("#!/bin/sh\necho "+name+" \"$@\" >>"+marks+"\n"), 0o755)
	}
	return dir, marks
}

// runWithPath runs switchman with args and the directory dir first on
// PATH, bounded.
func (e *env) runWithPath(dir string, args ...string) result {
	e.t.Helper()
	c := e.cmd()
	c.Args = append([]string{binPath}, args...)
	c.Env = append(c.Env, "PATH="+dir+":"+os.Getenv("PATH"))
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	if !waitOrKill(c, 60*time.Second) {
		e.t.Fatalf("switchman %q did not finish in 60s; stderr: %s", args, errb.String())
	}
	return result{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

// TestCommandsEitherOrder types every command of switchman with the
// config after it and before it (`switchman SUB -c F ...`, `switchman -c F
// SUB ...`, `switchman --config=F SUB ...`) against a real ZooKeeper: each
// reaches the command, with the same exit status and output, and none
// runs a program of that name (one waits on PATH for each).
func TestCommandsEitherOrder(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com","h2.example.com"]}}`)
	if r := e.run("--lockname", "job1", "--", "true"); r.code != 0 {
		t.Fatalf("a first run: exit %d: %s", r.code, r.stderr)
	}
	crontab := filepath.Join(e.dir, "app.cron")
	testenv.WriteFile(t, crontab, []byte("*/5 * * * * app /usr/bin/switchman -g g -- /usr/bin/job\n"), 0o644)
	scripts := filepath.Join(e.dir, "scripts")
	if err := os.Mkdir(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, filepath.Join(scripts, "job.sh"), []byte("#!/bin/sh\n# <crontab>\n#  time: @daily\n#  package: p\n# </crontab>\n"), 0o755)
	path, marks := programsNamedLikeCommands(t)
	tests := []struct {
		name  string
		words []string
		code  int
		out   string // in stdout or stderr
	}{
		{"groups init", []string{"groups", "init"}, 0, "already exists"},
		{"groups show", []string{"groups", "show"}, 0, "h2.example.com"},
		{"groups show GROUP", []string{"groups", "show", "g"}, 0, "h1.example.com"},
		{"groups export", []string{"groups", "export"}, 0, `"h1.example.com"`},
		{"groups move", []string{"groups", "move", "g", "--from", "h1.example.com", "--to", "h3.example.com", "--dry-run"}, 0, "h3.example.com"},
		{"groups history", []string{"groups", "history"}, 0, ""},
		{"status", []string{"status"}, 0, ""},
		{"status LOCK -o json", []string{"status", "job1", "-o", "json"}, 0, "{"},
		{"history", []string{"history", "job1"}, 0, "success"},
		{"kill", []string{"kill", "job1"}, exitcode.Failed, "job1: nobody holds the lock"},
		{"pause", []string{"pause", "job1", "--reason", "either order"}, 0, ""},
		{"resume", []string{"resume", "job1"}, 0, ""},
		{"doctor", []string{"doctor"}, -1, "zookeeper"},
		{"check failed", []string{"check", "failed"}, 0, "OK"},
		{"check overdue", []string{"check", "overdue"}, 0, "OK"},
		{"check stale", []string{"check", "stale", "job1"}, 0, "OK"},
		{"check groups", []string{"check", "groups", crontab}, 0, "OK"},
		{"check hosts", []string{"check", "hosts"}, -1, "HOSTS"},
		{"check missed", []string{"check", "missed"}, 0, "OK"},
		{"catch-up", []string{"catch-up", "--cron-dir", e.dir}, 0, ""},
		{"notify test", []string{"notify", "test"}, exitcode.Config, "no notify commands"},
		{"crontab generate", []string{"crontab", "generate", "--install-dir", "/usr/lib/p", scripts}, 0, "/usr/bin/switchman"},
		{"completion", []string{"completion", "bash"}, 0, "bash completion"},
		{"crontab check", []string{"crontab", "check", "--zk", "--format", "system", crontab}, 0, "CRONTAB OK"},
		{"serve --help", []string{"serve", "--help"}, 0, "--listen"},
		{"help", []string{"help", "status"}, 0, "switchman status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first *result
			for _, args := range [][]string{
				append(append([]string{}, tt.words...), "-c", e.cfg),
				append([]string{"-c", e.cfg}, tt.words...),
				append([]string{"--config=" + e.cfg}, tt.words...),
			} {
				r := e.runWithPath(path, args...)
				switch {
				case tt.code >= 0 && r.code != tt.code:
					t.Errorf("switchman %q: exit %d, want %d; stderr: %s", args, r.code, tt.code, r.stderr)
				case first != nil && r.code != first.code:
					t.Errorf("switchman %q: exit %d, but %d typed the other way", args, r.code, first.code)
				case !strings.Contains(r.stdout+r.stderr, tt.out):
					t.Errorf("switchman %q: output lacks %q:\n%s%s", args, tt.out, r.stdout, r.stderr)
				}
				if first == nil {
					first = &r
				}
			}
			if b, err := os.ReadFile(marks); err == nil {
				t.Fatalf("a program ran instead of the command: %s", b)
			}
		})
	}
}

// TestProgramNamedLikeCommand checks the original's reading: a word that
// names a command is the program to run when a wrapper option stands
// before it, or "--" does. A real executable named status on PATH proves
// it ran (under the lock, in the group).
func TestProgramNamedLikeCommand(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"x":["h1.example.com"]}}`, "hostname: h1.example.com")
	path, marks := programsNamedLikeCommands(t)
	tests := []struct {
		name string
		args []string
		mark string
	}{
		{"-g x status", []string{"-g", "x", "status"}, "status\n"},
		{"config, then -g x status", []string{"-c", e.cfg, "-g", "x", "status", "now"}, "status now\n"},
		{"--lockname before kill", []string{"-c", e.cfg, "--lockname", "k", "kill", "job1"}, "kill job1\n"},
		{"-- status", []string{"-c", e.cfg, "--", "status"}, "status\n"},
		{"--no-lock before groups", []string{"--config=" + e.cfg, "--no-lock", "groups", "init"}, "groups init\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(marks)
			c := e.cmd()
			c.Args = append([]string{binPath}, tt.args...)
			// "-g x status" exactly as a crontab has it: the config from
			// the environment.
			c.Env = append(c.Env, "PATH="+path+":"+os.Getenv("PATH"), "SWITCHMAN_CONFIG="+e.cfg)
			out, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("switchman %q: %v: %s", tt.args, err, out)
			}
			if b, _ := os.ReadFile(marks); string(b) != tt.mark {
				t.Errorf("switchman %q: the program left %q, want %q (output %q)", tt.args, b, tt.mark, out)
			}
		})
	}
}

// TestMissingPrefixHint runs `groups init` typed the natural way, config
// first, on a prefix that does not exist: it creates it. Before, a run
// that needs the prefix fails with the hint naming `groups init`.
func TestMissingPrefixHint(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	missing := e.configAs("missing.yaml", func(c *zktest.SwitchmanConfig) { c.Prefix = e.prefix + "/fresh" })
	r := missing.run("-c", missing.cfg, "status")
	if r.code != exitcode.Unavailable || !strings.Contains(r.stderr, "`switchman groups init`") {
		t.Fatalf("status without the prefix: exit %d, stderr %q; want %d and the groups init hint", r.code, r.stderr, exitcode.Unavailable)
	}
	if r := missing.run("-c", missing.cfg, "groups", "init"); r.code != 0 || !strings.Contains(r.stdout, "created "+e.prefix+"/fresh") {
		t.Fatalf("groups init: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestUnknownGroupSubcommand checks that a word after a command group that
// names none of its commands is a usage error naming it, in one line, not
// the group's help and exit 0 (which Nagios reads as OK).
func TestUnknownGroupSubcommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // "" for help, exit 0
	}{
		{"check bogus", []string{"check", "bogus"}, `unknown command "bogus" for "switchman check"`},
		{"groups bogus", []string{"groups", "bogus"}, `unknown command "bogus" for "switchman groups"`},
		{"crontab bogus", []string{"crontab", "bogus"}, `unknown command "bogus" for "switchman crontab"`},
		{"config first", []string{"-c", "/nonexistent", "check", "bogus"}, `unknown command "bogus" for "switchman check"`},
		{"flag between", []string{"groups", "-c", "/nonexistent", "bogus", "x"}, `unknown command "bogus" for "switchman groups"`},
		{"doctor takes no argument", []string{"doctor", "extra"}, `unknown command "extra" for "switchman doctor"`},
		{"generate needs a script", []string{"crontab", "generate"}, "requires at least 1 arg(s), only received 0"},
		{"status takes one job", []string{"status", "a", "b"}, "accepts at most 1 arg(s), received 2"},
		{"group alone is help", []string{"check"}, ""},
		{"help wins", []string{"check", "--help", "bogus"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb strings.Builder
			code := Main(tt.args, &out, &errb)
			if tt.want == "" {
				if code != exitcode.OK || !strings.Contains(out.String(), "Usage:") {
					t.Errorf("Main(%q) = %d, stdout %q; want the group's help and 0", tt.args, code, out.String())
				}
				return
			}
			first, _, _ := strings.Cut(errb.String(), "\n")
			if code != exitcode.Usage || first != "switchman: "+tt.want || out.Len() != 0 {
				t.Errorf("Main(%q) = %d, stderr %q; want %d and %q first", tt.args, code, errb.String(), exitcode.Usage, tt.want)
			}
		})
	}
}

// TestServeFlags checks `switchman serve`'s command line: cobra's help,
// exit 0, and a bad flag or argument a one-line usage error, 64; the
// helper is never asked.
func TestServeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--help", []string{"serve", "--help"}, exitcode.OK, "      --listen string"},
		{"-h after the config", []string{"-c", "F", "serve", "-h"}, exitcode.OK, "Global Flags:"},
		{"unknown flag", []string{"serve", "--bogus"}, exitcode.Usage, "switchman: unknown flag: --bogus"},
		{"one-dash Go flag style", []string{"serve", "-listen", "x"}, exitcode.Usage, "switchman: unknown shorthand flag: 'l' in -listen"},
		{"stray argument", []string{"serve", "x"}, exitcode.Usage, `switchman: unknown command "x" for "switchman serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb strings.Builder
			code := Main(tt.args, &out, &errb)
			if code != tt.code || !strings.Contains(out.String()+errb.String(), tt.want) {
				t.Errorf("Main(%q) = %d, output %q%q; want %d and %q", tt.args, code, out.String(), errb.String(), tt.code, tt.want)
			}
		})
	}
}

// TestServeHandsFlagsOn runs `switchman serve` with its flags given the
// cobra way, config first, and checks the helper got them: it serves the
// config's fleet where --listen says.
func TestServeHandsFlagsOn(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	u := startServe(t, e, "--config="+e.cfg, "serve", "--listen=127.0.0.1:0")
	if !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Fatalf("serving at %s, want a loopback port", u)
	}
	getFleet(t, strings.TrimSuffix(u, "/"), func(*dashboard.Fleet) bool { return true })
}

func TestHint(t *testing.T) {
	t.Parallel()
	noPrefix := fmt.Errorf("x: %w", lock.ErrNoPrefix)
	auth := fmt.Errorf("x: %w", lock.ErrAuth)
	tests := []struct {
		name string
		err  error
		ran  string
		want string
	}{
		{"no prefix, a run", noPrefix, "", "create the prefix znode, e.g. with `switchman groups init`"},
		{"no prefix, status", noPrefix, "status", "create the prefix znode, e.g. with `switchman groups init`"},
		{"no prefix, groups init itself", noPrefix, "groups init", ""},
		{"auth, a run", auth, "", "check auth_file, or run `switchman doctor`"},
		{"auth, doctor itself", auth, "doctor", "check auth_file"},
		{"anything else", errors.New("boom"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hint(tt.err, tt.ran); got != tt.want {
				t.Errorf("hint(%v, %q) = %q, want %q", tt.err, tt.ran, got, tt.want)
			}
		})
	}
}
