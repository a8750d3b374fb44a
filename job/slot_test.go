package job

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/internal/zktest"
)

// slotFleet is a prefix on a real ZooKeeper with group pair = [a, b], and
// a marker file that every run that starts appends "HOST SLOT" to.
type slotFleet struct {
	t      *testing.T
	cfg    *config.Config
	admin  *zk.Conn
	marker string
}

func newSlotFleet(t *testing.T) *slotFleet {
	srv := zktest.Start(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the spool and heartbeat stamps
	admin, err := zktest.Connect([]string{srv.Addr}, 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	data := `{"groups":{"pair":["a.example.com","b.example.com"]}}`
	if _, err := admin.Create("/sw", []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	text := zktest.SwitchmanConfig{Hosts: srv.Addr, Prefix: "/sw", SessionTimeout: "10s"}.String()
	cfg, err := config.Parse("switchman.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return &slotFleet{t: t, cfg: cfg, admin: admin, marker: filepath.Join(t.TempDir(), "ran")}
}

// run runs the job on host with the clock reading now, and the wrapper
// options args before the command; the command appends to the marker,
// and then sleeps 3 s while the file marker.slow exists.
func (f *slotFleet) run(host string, now time.Time, args ...string) error {
	line := append([]string{"--hostname", host, "--lockname", "job"}, args...)
	line = append(line, "--", "sh", "-c", `echo "$SWITCHMAN_HOST $SWITCHMAN_SLOT" >> `+f.marker+
		`; if [ -f `+f.marker+`.slow ]; then sleep 3; fi`)
	o, err := cmdline.Parse(line, false)
	if err != nil {
		f.t.Fatal(err)
	}
	var stderr bytes.Buffer
	env := Env{Stderr: &stderr, Getenv: os.Getenv, Version: "test", Now: func() time.Time { return now }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, env, f.cfg, zerolog.Nop(), o)
}

// ran returns the marker's lines: one per run that started.
func (f *slotFleet) ran() []string {
	b, err := os.ReadFile(f.marker)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// slotBase is a whole minute in the past, on the local clock (the cron
// daemon's): the tests' slots start there.
var slotBase = time.Date(2026, 12, 6, 18, 0, 0, 0, time.Local)

// TestSlotOnceAcrossHosts: host a runs a slot and finishes; host b fires
// the same slot 30 s later (its clock or its cron late) and skips; the
// next slot runs again. The run record and the child carry the slot.
func TestSlotOnceAcrossHosts(t *testing.T) {
	f := newSlotFleet(t)
	sched := []string{"--schedule", "* * * * *"}
	for _, step := range []struct {
		host string
		at   time.Duration // after slotBase
	}{
		{"a.example.com", time.Second},
		{"b.example.com", 31 * time.Second},
		{"a.example.com", 59 * time.Second},
		{"b.example.com", 61 * time.Second}, // the next slot
	} {
		if err := f.run(step.host, slotBase.Add(step.at), sched...); err != nil {
			t.Fatalf("%s at +%s: %v", step.host, step.at, err)
		}
	}
	want := []string{
		"a.example.com " + slotBase.Format(time.RFC3339),
		"b.example.com " + slotBase.Add(time.Minute).Format(time.RFC3339),
	}
	if got := f.ran(); !slices.Equal(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	rec, _, err := f.admin.Get("/sw/runs/job/b.example.com")
	if err != nil || !strings.Contains(string(rec), `"slot":"`+slotBase.Add(time.Minute).UTC().Format(time.RFC3339)+`"`) {
		t.Fatalf("run record %s (%v) does not carry the slot", rec, err)
	}
	sched2, _, err := f.admin.Get("/sw/slots/job")
	if err != nil || !strings.Contains(string(sched2), `"schedule":"* * * * *"`) {
		t.Fatalf("schedule record %s (%v)", sched2, err)
	}
}

// TestStandbyOrder: group pair = [a, b] with --standby 2s. Both alive, a
// runs every slot and b skips, 10 slots in a row, and an 11th where a's
// run outlasts b's turn. With a absent, b runs within 2 s and a margin,
// and a late a then skips.
func TestStandbyOrder(t *testing.T) {
	f := newSlotFleet(t)
	args := []string{"-g", "pair", "--schedule", "* * * * *", "--standby", "2s"}
	var want []string
	for i := range 11 {
		if i == 10 {
			// a still runs (3 s) when b's turn comes: b finds the slot
			// claimed, and the lock held.
			if err := os.WriteFile(f.marker+".slow", nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		slotAt := slotBase.Add(time.Duration(i) * time.Minute)
		var wg sync.WaitGroup
		for _, h := range []string{"b.example.com", "a.example.com"} {
			wg.Go(func() {
				if err := f.run(h, slotAt.Add(100*time.Millisecond), args...); err != nil {
					t.Errorf("slot %d, %s: %v", i, h, err)
				}
			})
		}
		wg.Wait()
		want = append(want, "a.example.com "+slotAt.Format(time.RFC3339))
	}
	if got := f.ran(); !slices.Equal(got, want) {
		t.Fatalf("both alive: runs %q, want a's only %q", got, want)
	}

	if err := os.Remove(f.marker + ".slow"); err != nil {
		t.Fatal(err)
	}
	// a absent: b runs after its turn, within 2 s and a margin.
	slotAt := slotBase.Add(11 * time.Minute)
	start := time.Now()
	if err := f.run("b.example.com", slotAt.Add(100*time.Millisecond), args...); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	want = append(want, "b.example.com "+slotAt.Format(time.RFC3339))
	if got := f.ran(); !slices.Equal(got, want) {
		t.Fatalf("a absent: runs %q, want %q", got, want)
	}
	// took is the whole run: the standby wait, then connecting, the
	// command and the records. The lower bound shows that b waited its
	// turn; the upper one that it then ran at once rather than at a later
	// turn or never. Its margin is wide because the suite shares two CPUs
	// with ZooKeeper servers and other suites (3.5 s was once exceeded).
	if took < 1800*time.Millisecond || took > 8*time.Second {
		t.Errorf("b ran after %s, want its turn: 1.9 s after start, then the run itself", took)
	}
	// a's cron fires late, after b ran the slot: never both.
	if err := f.run("a.example.com", slotAt.Add(5*time.Second), args...); err != nil {
		t.Fatal(err)
	}
	if got := f.ran(); len(got) != len(want) {
		t.Fatalf("late primary ran a claimed slot: %q", got)
	}
}
