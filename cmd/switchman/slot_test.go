package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/skewclock"
)

// TestScheduleSlotOnce runs the binary: a daily slot run by one host is
// skipped by another that fires it after the first finished, quietly; the
// child knows its slot; a bad --schedule is a usage error before anything
// starts.
func TestScheduleSlotOnce(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	marks := filepath.Join(e.dir, "marks")
	// Every run of the test falls in today's slot of a daily schedule.
	line := func(host string) []string {
		return append([]string{"--lockname", "daily", "--schedule", "0 0 * * *", "--hostname", host},
			sh(`echo "$SWITCHMAN_HOST $SWITCHMAN_SLOT" >> `+marks)...)
	}
	if r := e.run(line("h1.example.com")...); r.code != 0 || r.stderr != "" {
		t.Fatalf("first run: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := e.run(line("h2.example.com")...); r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("second run of the slot: exit %d, stderr %q; want a quiet 0", r.code, r.stderr)
	}
	b, _ := os.ReadFile(marks)
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(got) != 1 || !strings.HasPrefix(got[0], "h1.example.com ") || !strings.Contains(got[0], "T00:00:00") {
		t.Fatalf("runs %q, want one on h1 with its slot at 00:00", got)
	}
	r := e.run(append([]string{"--schedule", "0 25 * * *"}, sh("touch "+marks+".bad")...)...)
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, "invalid --schedule") {
		t.Fatalf("bad schedule: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(marks + ".bad"); err == nil {
		t.Fatal("child started despite a bad --schedule")
	}
}

// TestSoakClockShiftsSlots: a switchman built with the soakclock tag (the
// soak's clock jumps) takes its slot from the wall clock shifted by
// SWITCHMAN_SOAK_CLOCK_OFFSET; the binary everyone else runs ignores the
// variable.
func TestSoakClockShiftsSlots(t *testing.T) {
	srv := sharedZK(t)
	bin := filepath.Join(filepath.Dir(binPath), "switchman-soakclock")
	if out, err := exec.Command("go", "build", "-tags", "soakclock", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build with the soakclock tag: %v\n%s", err, out)
	}
	e := newEnv(t, srv, `{}`)
	t.Setenv(skewclock.EnvVar, "-48h")
	tests := []struct {
		name, bin string
		daysBack  int
	}{
		{"soakclock build", bin, 2},
		{"production build", binPath, 0},
	}
	for _, tt := range tests {
		marks := filepath.Join(e.dir, "slot-"+strings.ReplaceAll(tt.name, " ", "-"))
		before := time.Now()
		r := e.runWith(tt.bin, append([]string{"--lockname", "shift-" + strings.Fields(tt.name)[0], "--schedule", "0 0 * * *"},
			sh(`echo "$SWITCHMAN_SLOT" > `+marks)...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", tt.name, r.code, r.stderr)
		}
		b, _ := os.ReadFile(marks)
		got, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
		y, m, d := before.AddDate(0, 0, -tt.daysBack).Date()
		if want := time.Date(y, m, d, 0, 0, 0, 0, time.Local); err != nil || !got.Equal(want) {
			t.Errorf("%s: SWITCHMAN_SLOT %q (%v), want %s", tt.name, b, err, want.Format(time.RFC3339))
		}
	}
}
