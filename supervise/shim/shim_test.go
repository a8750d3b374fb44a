package shim

import (
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/limits"
)

func TestFields(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"12 34\n", []string{"12", "34"}},
		{"  S 1  2\t3", []string{"S", "1", "2", "3"}},
	} {
		if got := fields([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("fields(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatOfSelf(t *testing.T) {
	ppid, state, ok := stat(os.Getpid())
	if !ok || ppid != os.Getppid() || state == 0 {
		t.Fatalf("stat(self) = %d %q %v; want ppid %d", ppid, state, ok, os.Getppid())
	}
	if _, _, ok := stat(-1); ok {
		t.Fatal("stat(-1) ok")
	}
}

// TestChildren starts a real child and finds it among this process's
// children.
func TestChildren(t *testing.T) {
	c := exec.Command("sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Wait()
	defer c.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(children(), c.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d not among children %v", c.Process.Pid, children())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		ws   syscall.WaitStatus
		want int
	}{
		{"exit 0", 0, 0},
		{"exit 3", 3 << 8, 3},
		{"killed by TERM", syscall.WaitStatus(syscall.SIGTERM), 128 + 15},
	} {
		if got := status(tt.ws); got != tt.want {
			t.Errorf("%s: status = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	// Run catches the stop signals; give them back to the test binary.
	t.Cleanup(func() { signal.Reset(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT) })
	if got := Run(nil); got != exitSoftware {
		t.Fatalf("Run(nil) = %d, want %d", got, exitSoftware)
	}
	if got := Run([]string{"x", "/bin/true", "true"}); got != exitSoftware {
		t.Fatalf("bad parent pid: %d, want %d", got, exitSoftware)
	}
	// A parent pid that is not ours: switchman died before the start.
	if got := Run([]string{"1", "/bin/true", "true"}); got != exitKilled {
		t.Fatalf("dead parent: %d, want %d", got, exitKilled)
	}
}

func TestParseOptions(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		cgroup string
		limits []string
		exec   bool
		rest   []string
		ok     bool
	}{
		{"no options", []string{"12", "/bin/x", "x"}, "", nil, false, []string{"12", "/bin/x", "x"}, true},
		{"cgroup and limits", []string{"-cgroup=/sys/fs/cgroup/a b", "-limit=nice=3", "-limit=rlimit=core=0", "--", "12", "/bin/x", "x"},
			"/sys/fs/cgroup/a b", []string{"nice=3", "rlimit=core=0:0"}, false, []string{"12", "/bin/x", "x"}, true},
		{"stage", []string{"-exec", "-limit=nice=1", "--", "-odd/path", "x"}, "", []string{"nice=1"}, true, []string{"-odd/path", "x"}, true},
		{"no --", []string{"-limit=nice=1", "12"}, "", nil, false, nil, false},
		{"unknown option", []string{"-x", "--", "12"}, "", nil, false, nil, false},
		{"bad limit", []string{"-limit=nice=99", "--", "12"}, "", nil, false, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, rest, ok := parseOptions(tt.args)
			if ok != tt.ok || !slices.Equal(rest, tt.rest) {
				t.Fatalf("parseOptions = %q %v, want %q %v", rest, ok, tt.rest, tt.ok)
			}
			if ok && (o.cgroup != tt.cgroup || o.exec != tt.exec || !slices.Equal(o.limits.Flags(), tt.limits)) {
				t.Errorf("options %+v, want cgroup %q, limits %q, exec %v", o, tt.cgroup, tt.limits, tt.exec)
			}
		})
	}
}

// TestArgsRoundTrip: what Args writes, parseOptions reads back, and the
// stage's argv carries the same options.
func TestArgsRoundTrip(t *testing.T) {
	if got := Args("", limits.Limits{}); got != nil {
		t.Errorf("Args of nothing = %q, want nil", got)
	}
	var lim limits.Limits
	for _, w := range []string{"ionice=idle", "rlimit=nofile=10:20", "memory-max=1M"} {
		if err := lim.SetFlag(w); err != nil {
			t.Fatal(err)
		}
	}
	args := append(Args("/cg/x", lim), "12", "/bin/x", "x")
	o, rest, ok := parseOptions(args)
	if !ok || o.cgroup != "/cg/x" || !reflect.DeepEqual(o.limits, lim) || !slices.Equal(rest, []string{"12", "/bin/x", "x"}) {
		t.Fatalf("parseOptions(%q) = %+v %q %v", args, o, rest, ok)
	}
	stage := o.stageArgv("/bin/x", []string{"x", "-y"})
	so, srest, ok := parseOptions(stage[2:])
	if stage[1] != Arg || !ok || !so.exec || so.cgroup != o.cgroup || !reflect.DeepEqual(so.limits, lim) ||
		!slices.Equal(srest, []string{"/bin/x", "x", "-y"}) {
		t.Errorf("stage argv %q parses as %+v %q %v", stage, so, srest, ok)
	}
}

// FuzzParseOptions: parseOptions never panics, and options it accepts
// are written back by Args so that it reads them the same.
func FuzzParseOptions(f *testing.F) {
	f.Add("-cgroup=/a\x00-limit=nice=1\x00--\x0012\x00/x")
	f.Add("-exec\x00--\x00/x\x00x")
	f.Add("12\x00/x\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		o, rest, ok := parseOptions(strings.Split(joined, "\x00"))
		if !ok || o.exec || Args(o.cgroup, o.limits) == nil {
			return // the stage's and the bare protocol's are not Args'
		}
		again, rest2, ok := parseOptions(append(Args(o.cgroup, o.limits), rest...))
		if !ok || again.cgroup != o.cgroup || !reflect.DeepEqual(again.limits.Flags(), o.limits.Flags()) || !slices.Equal(rest, rest2) {
			t.Fatalf("%q: %+v %q, written back and read: %+v %q %v", joined, o, rest, again, rest2, ok)
		}
	})
}
