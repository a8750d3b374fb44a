package cmdline

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/limits"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		command  []string
		lockname string
		group    string
	}{
		{"child flags left alone", []string{"-g", "g", "--", "cmd", "-g", "x"}, []string{"cmd", "-g", "x"}, "cmd", "g"},
		{"options after the command, as the original", []string{"--group", "g", "/usr/bin/job", "--lockname", "y"}, []string{"/usr/bin/job"}, "y", "g"},
		{"group after the command", []string{"-c", "C", "echo", "yes", "-g", "other"}, []string{"echo", "yes"}, "echo", "other"},
		{"one-dash long name is never -g roup", []string{"-group", "here", "cmd"}, []string{"cmd"}, "cmd", "here"},
		{"abbreviations", []string{"--gr", "g", "--lockn", "n", "--conf", "c", "cmd"}, []string{"cmd"}, "n", "g"},
		{"empty lockname is the default", []string{"--lockname", "", "--", "/bin/x"}, []string{"/bin/x"}, "x", ""},
		{"lockname 0 is the default (Perl)", []string{"--lockname", "0", "--", "/bin/x"}, []string{"/bin/x"}, "x", ""},
		{"permuted args join those after --", []string{"echo", "-g", "x", "--", "foo"}, []string{"echo", "foo"}, "echo", "x"},
		{"wait takes a duration", []string{"--wait", "10s", "cmd"}, []string{"cmd"}, "cmd", ""},
		{"wait without a value", []string{"--wait", "cmd"}, []string{"cmd"}, "cmd", ""},
		{"a command named like a duration after --", []string{"--wait", "--", "10s"}, []string{"10s"}, "10s", ""},
		{"lockname given", []string{"--lockname", "mine", "--", "/bin/true"}, []string{"/bin/true"}, "mine", ""},
		{"double dash inside child args", []string{"--", "cmd", "--", "-c"}, []string{"cmd", "--", "-c"}, "cmd", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := Parse(tt.args, false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.Command, tt.command) || o.LockName != tt.lockname || o.Group != tt.group {
				t.Errorf("got command %q lock %q group %q", o.Command, o.LockName, o.Group)
			}
		})
	}
}

// TestParseSchedule: --schedule, --standby and --catch-up reach the options, a
// schedule with spaces as one word.
func TestParseSchedule(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"-g", "g", "--schedule", "*/5 * * * *", "--standby", "90s", "--catch-up", "26h", "--", "job", "--schedule", "x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if o.Schedule != "*/5 * * * *" || o.Standby != 90*time.Second || o.CatchUp != 26*time.Hour || !reflect.DeepEqual(o.Command, []string{"job", "--schedule", "x"}) {
		t.Fatalf("schedule %q standby %s catch-up %s command %q", o.Schedule, o.Standby, o.CatchUp, o.Command)
	}
}

// TestParseSpellings checks the spellings of the original's options
// and of ours under the original's rules.
func TestParseSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		check func(*Options) bool
	}{
		{"--nolock", []string{"--nolock", "cmd"}, func(o *Options) bool { return o.NoLock }},
		{"--no-lock", []string{"--no-lock", "cmd"}, func(o *Options) bool { return o.NoLock }},
		{"-nolock", []string{"-nolock", "cmd"}, func(o *Options) bool { return o.NoLock }},
		{"--no (unique prefix of nolock)", []string{"--no", "cmd"}, func(o *Options) bool { return o.NoLock }},
		{"--lock after --nolock", []string{"--nolock", "--lock", "cmd"}, func(o *Options) bool { return !o.NoLock }},
		{"--wait=1m", []string{"--wait=1m", "cmd"}, func(o *Options) bool { return o.WaitForced && o.Wait == time.Minute }},
		{"--wait 10s", []string{"--wait", "10s", "cmd"}, func(o *Options) bool { return o.WaitForced && o.Wait == 10*time.Second }},
		{"--wait alone", []string{"--wait", "cmd"}, func(o *Options) bool { return o.WaitForced && o.Wait == 0 }},
		{"-timeout one dash", []string{"-timeout", "1h", "cmd"}, func(o *Options) bool { return o.Timeout == time.Hour }},
		{"--lease repeated", []string{"--lease", "a=1:2", "cmd", "--lease", "b=1:3"}, func(o *Options) bool { return len(o.Leases) == 2 }},
		{"upper case", []string{"-G", "x", "--LOCKNAME", "n", "cmd"}, func(o *Options) bool { return o.Group == "x" && o.LockName == "n" }},
		{"plus prefix", []string{"+g", "x", "cmd"}, func(o *Options) bool { return o.Group == "x" }},
		{"-h anywhere", []string{"cmd", "-h"}, func(o *Options) bool { return o.Help }},
		{"-v", []string{"-v"}, func(o *Options) bool { return o.Version }},
		{"no limits", []string{"--", "x"}, func(o *Options) bool { return o.Limits.Flags() == nil && !o.LimitsBestEffort }},
		{"nice and ionice", []string{"--nice", "5", "--ionice", "idle", "--", "x"}, limitsAre("nice=5", "ionice=idle")},
		{"negative nice as the next word", []string{"--nice", "-5", "--", "x"}, limitsAre("nice=-5")},
		{"negative values after =", []string{"--nice=-5", "--oom-score-adj=-100", "--", "x"}, limitsAre("nice=-5", "oom-score-adj=-100")},
		{"rlimits repeated", []string{"--rlimit", "nofile=1024:4096", "--rlimit=core=0", "--", "x"},
			limitsAre("rlimit=nofile=1024:4096", "rlimit=core=0:0")},
		{"a later rlimit of the same resource wins", []string{"--rlimit", "nofile=10", "--rlimit", "nofile=20", "--", "x"},
			limitsAre("rlimit=nofile=20:20")},
		{"cgroup caps", []string{"--memory-max", "1G", "--cpu-max", "50%", "--tasks-max", "64", "--", "x"},
			limitsAre("memory-max=1073741824", "cpu-max=50%", "tasks-max=64")},
		{"best effort after the command", []string{"x", "--memory-max", "1G", "--limits-best-effort"}, func(o *Options) bool {
			return limitsAre("memory-max=1073741824")(o) && o.LimitsBestEffort && slices.Equal(o.Command, []string{"x"})
		}},
		{"shell string", []string{"--", "cd /app && ./run.sh"}, func(o *Options) bool {
			return reflect.DeepEqual(o.Argv, []string{"/bin/sh", "-c", "cd /app && ./run.sh"}) && o.LockName == "run.sh"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := Parse(tt.args, false)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("parsed %+v", o)
			}
		})
	}
}

// limitsAre checks that the options' limits are flags, as Limits.Flags
// writes them.
func limitsAre(flags ...string) func(*Options) bool {
	return func(o *Options) bool { return slices.Equal(o.Limits.Flags(), flags) }
}

// TestParseLimitErrorKind: a bad limit value (TestParseErrors has the
// messages) is both a usage error and the limits package's ErrInvalid.
func TestParseLimitErrorKind(t *testing.T) {
	t.Parallel()
	_, err := Parse([]string{"--tasks-max", "none", "--", "x"}, false)
	if !errors.Is(err, ErrUsage) || !errors.Is(err, limits.ErrInvalid) {
		t.Errorf("Parse: %v; want an ErrUsage and a limits.ErrInvalid", err)
	}
}

func TestParsePOSIX(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"-g", "x", "cmd", "-g", "y"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if o.Group != "x" || !reflect.DeepEqual(o.Command, []string{"cmd", "-g", "y"}) {
		t.Errorf("POSIXLY_CORRECT: group %q command %q", o.Group, o.Command)
	}
}

func TestArgv(t *testing.T) {
	t.Parallel()
	sh := func(s string) []string { return []string{"/bin/sh", "-c", s} }
	tests := []struct {
		name  string
		words []string
		want  []string
	}{
		{"several words run as given", []string{"echo", "a && b"}, []string{"echo", "a && b"}},
		{"one plain word", []string{"/bin/true"}, []string{"/bin/true"}},
		{"one word with spaces is split", []string{"  echo a\tb  "}, []string{"echo", "a", "b"}},
		{"and-list through the shell", []string{"cd /app && ./run.sh"}, sh("cd /app && ./run.sh")},
		{"redirection", []string{"job >/dev/null"}, sh("job >/dev/null")},
		{"variable", []string{"echo $HOME"}, sh("echo $HOME")},
		{"quotes", []string{"echo 'a b'"}, sh("echo 'a b'")},
		{"leading assignment", []string{"LANG=C sort x"}, sh("LANG=C sort x")},
		{"dot", []string{". /etc/profile"}, sh(". /etc/profile")},
		{"exec", []string{"exec job"}, sh("exec job")},
		{"exec as a prefix of a word", []string{"executor run"}, []string{"executor", "run"}},
		{"trailing newline dropped", []string{"echo a\n"}, []string{"echo", "a"}},
		{"equals later is no assignment", []string{"job --x=1"}, []string{"job", "--x=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Argv(tt.words); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Argv(%q) = %q, want %q", tt.words, got, tt.want)
			}
		})
	}
}

// TestParseRetry: --retry, --retry-backoff and --retry-on reach the
// options, with the default backoff and every failure retried when only
// --retry is given.
func TestParseRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		retry   int
		backoff time.Duration
		on      []int
	}{
		{"none", []string{"--", "x"}, 0, DefaultRetryBackoff, nil},
		{"retry only", []string{"--retry", "3", "--", "x"}, 3, DefaultRetryBackoff, nil},
		{"all three", []string{"--notify", "billing", "--retry=2", "--retry-backoff", "100ms", "--retry-on", "75-77,1, 3,1", "--", "x", "--retry", "9"}, 2, 100 * time.Millisecond, []int{1, 3, 75, 76, 77}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, err := Parse(tt.args, false)
			if err != nil {
				t.Fatal(err)
			}
			if o.Retry != tt.retry || o.RetryBackoff != tt.backoff || !slices.Equal(o.RetryOn, tt.on) {
				t.Errorf("retry %d backoff %s on %v, want %d %s %v", o.Retry, o.RetryBackoff, o.RetryOn, tt.retry, tt.backoff, tt.on)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"-g", "g"}, "no command given"},
		{"dotdot lockname", []string{"--lockname", "..", "--", "x"}, "reserved"},
		{"slash lockname", []string{"--lockname", "a/b", "--", "x"}, `"/"`},
		{"control char lockname", []string{"--lockname", "a\tb", "--", "x"}, "control"},
		{"long lockname", []string{"--lockname", strings.Repeat("n", 513), "--", "x"}, "limit is 512"},
		{"unknown flag", []string{"--frobnicate", "--", "x"}, "unknown option --frobnicate"},
		{"unknown flag after the command", []string{"find", "/tmp", "-mtime", "+3"}, "unknown option -mtime"},
		{"ambiguous abbreviation", []string{"--lo", "x", "cmd"}, "ambiguous"},
		{"short option glued to its value", []string{"-gx", "cmd"}, "unknown option -gx"},
		{"negation takes no value", []string{"--nolock=1", "cmd"}, "does not take an argument"},
		{"wait with a bare number", []string{"--wait", "10", "cmd"}, "give a unit"},
		{"lease without =", []string{"--lease", "db", "cmd"}, "KEY=VALUE"},
		{"bad timeout", []string{"--timeout", "soon", "--", "x"}, "timeout"},
		{"negative timeout", []string{"--timeout", "-1s", "--", "x"}, "negative"},
		{"bad hostname", []string{"--hostname", "a b", "--", "x"}, "hostname"},
		{"bad group", []string{"-g", "a/b", "--", "x"}, "group"},
		{"empty group", []string{"--group", "", "--", "x"}, "empty --group"},
		{"empty short group", []string{"-g", "", "--", "x"}, "empty --group"},
		{"bad skip code", []string{"--skipped-exit-code", "300", "--", "x"}, "0 to 255"},
		{"wait without lock", []string{"--no-lock", "--wait", "--", "x"}, "--no-lock"},
		{"nice out of range", []string{"--nice", "20", "--", "x"}, `limits: invalid --nice "20": want an integer from -20 to 19`},
		{"ionice class", []string{"--ionice", "fast", "--", "x"}, `limits: invalid --ionice "fast"`},
		{"oom score", []string{"--oom-score-adj=2000", "--", "x"}, `limits: invalid --oom-score-adj "2000"`},
		{"rlimit name", []string{"--rlimit", "files=10", "--", "x"}, `limits: invalid --rlimit "files=10"`},
		{"rlimit soft above hard", []string{"--rlimit", "nofile=10:5", "--", "x"}, "the soft limit is above the hard one"},
		{"rlimit without =", []string{"--rlimit", "nofile", "--", "x"}, "KEY=VALUE"},
		{"memory unit", []string{"--memory-max", "1GB", "--", "x"}, `limits: invalid --memory-max "1GB"`},
		{"cpu without %", []string{"--cpu-max", "50", "--", "x"}, `limits: invalid --cpu-max "50"`},
		{"tasks zero", []string{"--tasks-max", "0", "--", "x"}, `limits: invalid --tasks-max "0"`},
		{"limit without a value", []string{"x", "--nice"}, "requires an argument"},
		{"empty schedule", []string{"--schedule", " ", "--", "x"}, "empty --schedule"},
		{"standby without schedule", []string{"-g", "g", "--standby", "2s", "--", "x"}, "--standby needs --schedule"},
		{"standby without group", []string{"--schedule", "* * * * *", "--standby", "2s", "--", "x"}, "--standby needs"},
		{"standby without lock", []string{"-g", "g", "--schedule", "* * * * *", "--no-lock", "--standby", "2s", "--", "x"}, "--no-lock"},
		{"negative standby", []string{"-g", "g", "--schedule", "* * * * *", "--standby", "-2s", "--", "x"}, "negative"},
		{"catch-up without schedule", []string{"--catch-up", "2h", "--", "x"}, "--catch-up needs --schedule"},
		{"catch-up without lock", []string{"--schedule", "* * * * *", "--no-lock", "--catch-up", "2h", "--", "x"}, "--catch-up needs"},
		{"negative catch-up", []string{"--schedule", "* * * * *", "--catch-up", "-2h", "--", "x"}, "negative"},
		{"splay without a unit", []string{"--splay", "30", "--", "x"}, "--splay"},
		{"negative splay", []string{"--splay", "-1s", "--", "x"}, "invalid --splay -1s: must not be negative"},
		{"splay over an hour", []string{"--splay", "61m", "--", "x"}, "invalid --splay 1h1m0s: must be at most 1h"},
		{"notify with a space", []string{"--notify", "a b", "--", "x"}, `invalid --notify: notifier name "a b"`},
		{"empty notify", []string{"--notify", "", "--", "x"}, `invalid --notify`},
		{"negative retry", []string{"--retry", "-1", "--", "x"}, "invalid --retry -1: must be 0 to 100"},
		{"retry not a number", []string{"--retry", "three", "--", "x"}, "--retry"},
		{"too many retries", []string{"--retry", "101", "--", "x"}, "invalid --retry 101"},
		{"retry-backoff without retry", []string{"--retry-backoff", "1s", "--", "x"}, "--retry-backoff and --retry-on need --retry"},
		{"retry-on without retry", []string{"--retry-on", "1", "--", "x"}, "need --retry"},
		{"zero retry-backoff", []string{"--retry", "2", "--retry-backoff", "0s", "--", "x"}, "invalid --retry-backoff 0s: must be positive"},
		{"retry-backoff without a unit", []string{"--retry", "2", "--retry-backoff", "5", "--", "x"}, "--retry-backoff"},
		{"retry-on zero", []string{"--retry", "2", "--retry-on", "0,1", "--", "x"}, `invalid --retry-on "0,1": "0": exit statuses are 1 to 255`},
		{"retry-on word", []string{"--retry", "2", "--retry-on", "1,x", "--", "x"}, `"x" is not an exit status`},
		{"retry-on backwards range", []string{"--retry", "2", "--retry-on", "9-3", "--", "x"}, `"9-3"`},
		{"retry-on empty", []string{"--retry", "2", "--retry-on", "", "--", "x"}, `invalid --retry-on ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.args, false)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tt.args)
			}
			if !errors.Is(err, ErrUsage) {
				t.Errorf("error %v is not an ErrUsage", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestWithoutInterpreter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain", "echo hi\n")
	shebang := write("shebang", "#!/bin/sh\necho hi\n")
	binary := write("binary", "\x00\x01\x02")
	tests := []struct {
		name string
		argv []string
		want []string
	}{
		{"script without #! runs through sh", []string{plain, "a"}, []string{"/bin/sh", plain, "a"}},
		{"script with #!", []string{shebang, "a"}, []string{shebang, "a"}},
		{"binary data", []string{binary}, []string{binary}},
		{"ELF from PATH", []string{"true"}, []string{"true"}},
		{"not found is left to the caller", []string{dir + "/none"}, []string{dir + "/none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := WithoutInterpreter(tt.argv); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WithoutInterpreter(%q) = %q, want %q", tt.argv, got, tt.want)
			}
		})
	}
}

func FuzzArgv(f *testing.F) {
	for _, s := range []string{"echo a b", "cd /app && ./run.sh", "LANG=C x", ". /etc/profile", "exec x", "  \t", "a\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Argv([]string{s})
		switch {
		case len(got) == 0:
			t.Fatalf("Argv(%q) is empty", s)
		case got[0] == "/bin/sh" && len(got) == 3:
			if got[2] != s || !needsShell(strings.TrimLeft(s, " \t\n\r\f\v")) {
				t.Fatalf("Argv(%q) = %q: the shell gets the word unchanged, and only with shell syntax", s, got)
			}
		default:
			for _, w := range got {
				if strings.ContainsAny(w, shellMeta) && len(got) > 1 {
					t.Fatalf("Argv(%q) = %q: split a word with shell syntax", s, got)
				}
			}
		}
	})
}
