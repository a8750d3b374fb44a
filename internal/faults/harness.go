package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/history"
	"github.com/acme/switchman/internal/zktest"
)

// shortChild is the usual job: a random sleep shorter than a tick or two,
// so that the lock changes hands often.
var shortChild = []string{"-min", "100ms", "-max", "500ms"}

// Timing of every scenario. The session timeout S is short so that each
// fault plays out in seconds; the grace is shorter than switchman's own cap
// on the self-fencing path (0.18 S), so TERM -> KILL takes half a second.
// The tick is cron's minute shrunk: every host launches switchman this often
// whether or not its previous run is still going, as cron does.
const (
	sessionTimeout = 4 * time.Second
	graceTimeout   = 500 * time.Millisecond
	tick           = 400 * time.Millisecond
)

// The job every host runs and the group they share.
const (
	lockName  = "job"
	groupName = "g"
)

// host is one simulated machine: a name, a fault proxy in front of the
// ensemble, its config file and the job's arguments.
type host struct {
	name  string
	proxy *faultproxy.Proxy
	cfg   string
	args  atomic.Pointer[[]string] // histchild arguments for the next launches
	// flags are extra switchman flags for the next launches (nil: none),
	// e.g. --schedule.
	flags atomic.Pointer[[]string]
	pause atomic.Bool // launches suspended (the driver skips ticks)
}

func (h *host) setArgs(a ...string) { h.args.Store(&a) }

// launch is one switchman process started by a host's driver.
type launch struct {
	host    string
	seq     int
	log     string // this run's history log
	cmd     *exec.Cmd
	started time.Time
	stderr  bytes.Buffer
	done    chan struct{}

	// Set once done is closed.
	exited time.Time
	code   int    // exit status, -1 when killed by a signal
	signal string // the signal that killed switchman, if any
	// pid is the child's, 0 if it never started; deadAt is when it was
	// seen dead (zero if it outlived the watch).
	pid    int
	deadAt time.Time
}

// harness runs one scenario: hosts, drivers and the record of every launch.
type harness struct {
	bin    string // directory holding switchman and histchild
	dir    string // scratch directory of this scenario
	cl     *cluster
	prefix string
	hosts  []*host

	mu       sync.Mutex
	launches []*launch
	seq      int
	wg       sync.WaitGroup
}

// newHarness creates the prefix with all hosts in the group, one proxy per
// host and its config.
func newHarness(bin, dir string, cl *cluster, prefix string, n int) (*harness, error) {
	h := &harness{bin: bin, dir: dir, cl: cl, prefix: prefix}
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("h%d.test", i+1))
	}
	if err := cl.createPrefix(prefix, groupData(names...)); err != nil {
		return nil, err
	}
	for _, name := range names {
		hs, err := h.newHost(name)
		if err != nil {
			h.close()
			return nil, err
		}
		h.hosts = append(h.hosts, hs)
	}
	return h, nil
}

func (h *harness) newHost(name string) (*host, error) {
	p, err := faultproxy.New(h.cl.ens.Addrs())
	if err != nil {
		return nil, err
	}
	hs := &host{name: name, proxy: p, cfg: filepath.Join(h.dir, name+".yaml")}
	hs.setArgs(shortChild...)
	c := zktest.SwitchmanConfig{Hosts: p.Addr(), Prefix: h.prefix, SessionTimeout: sessionTimeout.String(), ConnectTimeout: "3s",
		TerminationTimeout: zktest.Seconds(graceTimeout), Logfile: filepath.Join(h.dir, name+".log"), Loglevel: "debug"}
	if err := c.Write(hs.cfg); err != nil {
		p.Close()
		return nil, err
	}
	return hs, nil
}

// groupData is the prefix znode's JSON with hosts in the group.
func groupData(hosts ...string) string {
	q := make([]string, len(hosts))
	for i, s := range hosts {
		q[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`{"groups": {%q: [%s]}, "resources": []}`, groupName, strings.Join(q, ", "))
}

func (h *harness) close() {
	for _, hs := range h.hosts {
		hs.proxy.Close()
	}
}

// drive launches switchman on every host every tick until ctx ends.
func (h *harness) drive(ctx context.Context) {
	for _, hs := range h.hosts {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if !hs.pause.Load() {
						h.start(hs)
					}
				}
			}
		}()
	}
}

// start launches one switchman run on hs, as cron would.
func (h *harness) start(hs *host) {
	h.mu.Lock()
	h.seq++
	l := &launch{host: hs.name, seq: h.seq, done: make(chan struct{})}
	h.mu.Unlock()
	l.log = filepath.Join(h.dir, fmt.Sprintf("run-%05d.hist", l.seq))
	args := []string{"-c", hs.cfg, "-g", groupName, "--hostname", hs.name, "--lockname", lockName}
	if f := hs.flags.Load(); f != nil {
		args = append(args, *f...)
	}
	args = append(args, "--", filepath.Join(h.bin, "histchild"), "-log", l.log)
	args = append(args, *hs.args.Load()...)
	l.cmd = exec.Command(filepath.Join(h.bin, "switchman"), args...)
	l.cmd.Stderr = &l.stderr
	l.started = time.Now()
	err := l.cmd.Start()
	// Published only once started, so readers see a complete launch.
	h.mu.Lock()
	h.launches = append(h.launches, l)
	h.mu.Unlock()
	if err != nil {
		l.code, l.exited = -2, time.Now()
		fmt.Fprintf(&l.stderr, "harness: start: %v", err)
		close(l.done)
		return
	}
	go l.wait()
}

// wait reaps switchman while watching its child, so that a child killed
// with SIGKILL (no end line) is dated by when it died, not by when its
// wrapper exited.
func (l *launch) wait() {
	r := history.WaitWrapper(l.cmd, l.log, 2*time.Millisecond)
	l.exited, l.code, l.signal, l.pid, l.deadAt = r.Exited, r.Code, r.Signal, r.PID, r.Dead
	close(l.done)
}

// stop ends the drivers, then waits for every switchman; stragglers get
// SIGTERM (forwarded to their child) after a while, then SIGKILL. It
// returns the number that needed SIGKILL from the harness (a hung wrapper).
func (h *harness) stop(cancel context.CancelFunc) int {
	cancel()
	h.wg.Wait()
	ls := h.snapshot()
	waitAll(ls, 4*time.Second)
	for _, l := range ls {
		if !isDone(l) {
			_ = l.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	waitAll(ls, 10*time.Second)
	hung := 0
	for _, l := range ls {
		if !isDone(l) {
			hung++
			_ = l.cmd.Process.Kill()
		}
	}
	waitAll(ls, 10*time.Second)
	return hung
}

func (h *harness) snapshot() []*launch {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*launch(nil), h.launches...)
}

func isDone(l *launch) bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
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

// running returns a run of hostName whose child is running now (start line,
// no end line, switchman not exited), with its launch, waiting up to
// timeout for one.
func (h *harness) running(hostName string, timeout time.Duration) (history.Run, *launch, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, l := range h.snapshot() {
			if l.host != hostName || isDone(l) {
				continue
			}
			runs, err := history.ParseFile(l.log)
			if err != nil {
				continue
			}
			for _, r := range runs {
				if !r.Ended {
					return r, l, nil
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return history.Run{}, nil, fmt.Errorf("no child running on %s within %s", hostName, timeout)
}

// history collects every launch's log into one list of runs, closing the
// runs that have no end line at the moment their child was seen dead.
func (h *harness) history() ([]history.Run, error) {
	var all []history.Run
	for _, l := range h.snapshot() {
		runs, err := history.ParseFile(l.log)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		done := isDone(l) // the fields are read only once wait has written them
		runs = history.CloseUnended(runs, func(r history.Run) time.Time {
			if done && r.PID == l.pid {
				return l.deadAt
			}
			return time.Time{}
		})
		all = append(all, runs...)
	}
	return all, nil
}
