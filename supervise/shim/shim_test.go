package shim

import (
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"
	"testing"
	"time"
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
