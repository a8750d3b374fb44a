package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/history"
	"github.com/acme/switchman/internal/skewclock"
)

// shape is one kind of job every host runs: its switchman flags, how often
// (every that many ticks) and its child's range of run times.
type shape struct {
	name     string
	every    int
	flags    func(h *host, tick int) []string
	min, max time.Duration
	failPct  int // share of runs whose child exits 1
}

// shapes are the jobs of the fleet. The wait job cycles through lock names
// so that the queue directories of many names come and go.
var shapes = []shape{
	{name: "plain", every: 1, min: 100 * time.Millisecond, max: 900 * time.Millisecond, failPct: 10,
		flags: func(*host, int) []string { return []string{"-g", "all", "--lockname", "plain"} }},
	{name: "nested", every: 3, min: 300 * time.Millisecond, max: 2 * time.Second, failPct: 10,
		flags: func(*host, int) []string { return []string{"-g", "outer", "--lockname", "nested"} }},
	{name: "lease", every: 4, min: 300 * time.Millisecond, max: 1500 * time.Millisecond, failPct: 5,
		flags: func(h *host, _ int) []string {
			return []string{"-g", "all", "--lockname", "lease-" + strings.TrimSuffix(h.name, ".test"), "--lease", "db=1:2", "--wait=5s"}
		}},
	{name: "wait", every: 4, min: 200 * time.Millisecond, max: time.Second, failPct: 5,
		flags: func(_ *host, tick int) []string {
			return []string{"-g", "all", "--lockname", fmt.Sprintf("wait-%d", tick/7%6), "--wait=3s"}
		}},
	{name: "min-interval", every: 3, min: 100 * time.Millisecond, max: 300 * time.Millisecond, failPct: 5,
		flags: func(*host, int) []string {
			return []string{"-g", "all", "--lockname", "minint", "--min-interval", "5s"}
		}},
	{name: "timeout", every: 6, min: 500 * time.Millisecond, max: 2 * time.Second, failPct: 5,
		flags: func(*host, int) []string { return []string{"-g", "all", "--lockname", "tmo", "--timeout", "1s"} }},
	{name: "halt", every: 6, min: 100 * time.Millisecond, max: 500 * time.Millisecond, failPct: 30,
		flags: func(*host, int) []string { return []string{"-g", "all", "--lockname", "halty", "--halt-on-failure"} }},
	{name: "slot", every: 5, min: 200 * time.Millisecond, max: 500 * time.Millisecond, failPct: 5,
		flags: func(*host, int) []string {
			return []string{"-g", "all", "--lockname", "slotjob", "--schedule", slotSpec, "--standby", "2s", "--catch-up", "10m"}
		}},
}

// slotSpec is the slot job's schedule: cron's finest, one slot a minute.
const slotSpec = "* * * * *"

// perlShape is what the host running the original does: the plain lock,
// which the Go hosts take too.
var perlShape = shape{name: "plain (original)", every: 2, min: 100 * time.Millisecond, max: 900 * time.Millisecond, failPct: 10}

// launch is one switchman process started by a host's driver.
type launch struct {
	host    *host
	job     string
	seq     int
	log     string // this run's history log
	cmd     *exec.Cmd
	started time.Time
	clock   time.Duration // its host's clock offset at launch (skewclock)
	stderr  bytes.Buffer
	printed atomic.Int64
	done    chan struct{}

	// Set once done is closed.
	exited time.Time
	code   int    // exit status, -1 when killed by a signal
	signal string // the signal that killed switchman, if any
	deadAt time.Time
	pid    int // the child's pid, 0 if it never started
}

type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// childArgs draws the child of one run: a histchild that sometimes fails,
// ignores TERM, forks grandchildren (in its group or escaping with setsid)
// or prints a lot first.
func childArgs(f *fleet, rng *rand.Rand, sh shape, log string) []string {
	hc := filepath.Join(f.bin, "histchild")
	args := []string{"-log", log, "-min", sh.min.String(), "-max", sh.max.String()}
	if rng.IntN(100) < sh.failPct {
		args = append(args, "-exit", "1")
	}
	switch n := rng.IntN(100); {
	case n < 5:
		args = append(args, "-ignore-term")
	case n < 9:
		args = append(args, "-fork", "2")
	case n < 13:
		args = append(args, "-fork", "1", "-setsid")
	case n < 17:
		// 256 KB on stdout before the job proper; exec keeps the pid.
		return append([]string{"/bin/sh", "-c", `head -c 262144 /dev/zero | tr '\0' x; exec "$0" "$@"`, hc}, args...)
	}
	return append([]string{hc}, args...)
}

// startRun launches one switchman run of shape sh on h, as cron would.
func (f *fleet) startRun(h *host, sh shape, tick int) *launch {
	f.mu.Lock()
	f.seq++
	l := &launch{host: h, job: sh.name, seq: f.seq, done: make(chan struct{})}
	f.mu.Unlock()
	l.log = filepath.Join(f.dir, "runs", fmt.Sprintf("%06d.hist", l.seq))
	var child []string
	switch {
	case f.calm:
		child = []string{filepath.Join(f.bin, "histchild"), "-log", l.log, "-min", "10ms", "-max", "50ms"}
	case sh.name == "burst": // started from many goroutines: no draw from h.rng
		child = []string{filepath.Join(f.bin, "histchild"), "-log", l.log, "-min", sh.min.String(), "-max", sh.max.String()}
	default:
		child = childArgs(f, h.rng, sh, l.log)
	}
	bin := filepath.Join(f.bin, "switchman")
	var args []string
	if h.perl {
		bin = f.orig
		args = append([]string{"-c", h.cfg, "--lockname", "plain", "--"}, child...)
	} else {
		args = append([]string{"-c", h.cfg, "--hostname", h.name}, sh.flags(h, tick)...)
		args = append(append(args, "--"), child...)
	}
	l.cmd = exec.Command(bin, args...)
	if l.clock = time.Duration(h.clock.Load()); l.clock != 0 && !h.perl {
		l.cmd.Env = append(os.Environ(), skewclock.EnvVar+"="+l.clock.String())
	}
	if h.perl {
		// The original exports nothing: the child learns its lock and host here.
		l.cmd.Env = append(os.Environ(), "SWITCHMAN_LOCK="+prefix+"/locks/plain", "SWITCHMAN_HOST="+h.name)
	}
	l.cmd.Stdout = counter{&l.printed}
	l.cmd.Stderr = &l.stderr
	l.started = time.Now()
	err := l.cmd.Start()
	f.mu.Lock()
	f.launches = append(f.launches, l)
	f.mu.Unlock()
	if err != nil {
		l.code, l.exited = -2, time.Now()
		fmt.Fprintf(&l.stderr, "soak: start: %v", err)
		close(l.done)
		return l
	}
	go l.wait()
	return l
}

// wait reaps switchman while watching its child, so that a child killed
// with SIGKILL (no end line) is dated by when it died.
func (l *launch) wait() {
	r := history.WaitWrapper(l.cmd, l.log, 10*time.Millisecond)
	l.exited, l.code, l.signal, l.pid, l.deadAt = r.Exited, r.Code, r.Signal, r.PID, r.Dead
	close(l.done)
}

// drive launches every host's jobs every tick until ctx ends.
func (f *fleet) drive(ctx context.Context) {
	for i, h := range f.hosts {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			t := time.NewTicker(tick)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if h.perl {
					if n%perlShape.every == 0 {
						f.startRun(h, perlShape, n)
					}
					continue
				}
				for _, sh := range shapes {
					if (n+i)%sh.every == 0 {
						f.startRun(h, sh, n)
					}
				}
			}
		}()
	}
}

// burst starts n runs of the lock "burst" at once, spread over the hosts:
// one goroutine per run, since starting 200 processes one after the other
// takes tens of seconds on a loaded box.
func (f *fleet) burst(n int) {
	sh := shape{name: "burst", min: 50 * time.Millisecond, max: 200 * time.Millisecond,
		flags: func(*host, int) []string { return []string{"-g", "all", "--lockname", "burst"} }}
	var wg sync.WaitGroup
	for i := range n {
		h := f.goHosts()[i%nHosts]
		wg.Go(func() { f.startRun(h, sh, 0) })
	}
	wg.Wait()
}

func (f *fleet) snapshot() []*launch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*launch(nil), f.launches...)
}

func isDone(l *launch) bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// stop ends the drivers and waits for every switchman; stragglers get
// SIGTERM after a while, then SIGKILL. It returns the launches that needed
// SIGKILL from the harness (hung wrappers).
func (f *fleet) stop(cancel context.CancelFunc) []*launch {
	cancel()
	f.wg.Wait()
	ls := f.snapshot()
	waitAll(ls, 20*time.Second)
	for _, l := range ls {
		if !isDone(l) {
			_ = l.cmd.Process.Signal(syscall.SIGCONT) // a frozen wrapper the injector did not thaw
			_ = l.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	waitAll(ls, 15*time.Second)
	var hung []*launch
	for _, l := range ls {
		if !isDone(l) {
			hung = append(hung, l)
			_ = l.cmd.Process.Kill()
		}
	}
	waitAll(ls, 15*time.Second)
	return hung
}

func waitAll(ls []*launch, timeout time.Duration) {
	deadline := time.After(timeout)
	for _, l := range ls {
		select {
		case <-l.done:
		case <-deadline:
			return
		}
	}
}

// running returns the Go wrappers still running, oldest first.
func (f *fleet) running() []*launch {
	var out []*launch
	for _, l := range f.snapshot() {
		if !isDone(l) && !l.host.perl && l.cmd.Process != nil && time.Since(l.started) > 300*time.Millisecond {
			out = append(out, l)
		}
	}
	return out
}
