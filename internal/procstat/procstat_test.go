package procstat

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tail := " 0 0 0 0 20 0 1 0 123456 0 0" // fields 14 to 24: starttime is 22
	tests := []struct {
		name    string
		line    string
		want    Stat
		wantErr bool
	}{
		{"plain", "42 (sleep) S 7 42 42 0 -1 4194304 96 0 0 0" + tail,
			Stat{PID: 42, PPID: 7, PGID: 42, Comm: "sleep", State: 'S', Start: 123456}, false},
		{"a name with spaces and parentheses", "43 (a (b) c) Z 1 43 43 0 -1 4194304 96 0 0 0" + tail,
			Stat{PID: 43, PPID: 1, PGID: 43, Comm: "a (b) c", State: 'Z', Start: 123456}, false},
		{"a name that closes and opens parentheses", "12 (a) b (c) Z 1 5 5 0 -1 4194560 0 0 0 0" + tail,
			Stat{PID: 12, PPID: 1, PGID: 5, Comm: "a) b (c", State: 'Z', Start: 123456}, false},
		{"no parentheses", "44 sleep S 1 44", Stat{}, true},
		{"cut short", "45 (x) S 1 45 45", Stat{}, true},
		{"a bad pid", "x (y) S 1 2 3 0 -1 4194304 96 0 0 0" + tail, Stat{}, true},
		{"a bad start time", "46 (y) S 1 2 3 0 -1 4194304 96 0 0 0 0 0 0 0 20 0 1 0 soon 0", Stat{}, true},
		{"a state of two letters", "47 (y) SS 1 2 3 0 -1 4194304 96 0 0 0" + tail, Stat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse: error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v is not ErrMalformed", err)
			}
			if got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestProc follows a real child through its life: running, a zombie
// until reaped, then gone; and this process, which a Proc with another
// start time does not name.
func TestProc(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if self.PID != os.Getpid() || self.Start == 0 {
		t.Fatalf("Self() = %+v", self)
	}
	if st, err := Read(os.Getpid()); err != nil || st.PPID != os.Getppid() || st.PGID != syscall.Getpgrp() || st.Start != self.Start {
		t.Errorf("Read(self) = %+v, %v; want ppid %d, pgid %d, start %d", st, err, os.Getppid(), syscall.Getpgrp(), self.Start)
	}
	if self.Gone() {
		t.Error("this process is gone")
	}
	reused := Proc{PID: self.PID, Start: self.Start + 1}
	if !reused.Gone() {
		t.Error("a Proc with this pid and another start time is not gone")
	}

	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	st, err := Read(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getpid() || st.Comm != "sleep" {
		t.Errorf("the child's stat: %+v", st)
	}
	child := Proc{PID: st.PID, Start: st.Start}
	if child.Gone() {
		t.Error("a sleeping child is gone")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Unreaped, it is a zombie: ended, so gone, though its pid is taken.
	deadline := time.Now().Add(10 * time.Second)
	for !child.Gone() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st, err := Read(child.PID); err != nil || !st.Zombie() || !child.Gone() {
		t.Errorf("a killed, unreaped child: %+v, %v; want a zombie, gone", st, err)
	}
	_ = cmd.Wait()
	if _, err := Read(child.PID); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read of a reaped child: %v, want os.ErrNotExist", err)
	}
	if !child.Gone() {
		t.Error("a reaped child is not gone")
	}
}
