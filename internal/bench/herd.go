package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// herdRound is one herd: n processes released at one instant on one lock
// name.
type herdRound struct {
	N int
	// Ran is how many children ran; the lock allows exactly one.
	Ran int
	// Losers is the time from the release until every process but the
	// winner had exited (they found the lock busy); All, until the last
	// one did, after the winner's child was let go.
	Losers, All time.Duration
	// PacketsPerRun is ZooKeeper requests served per process.
	PacketsPerRun float64
	// WritesPerRun is ZooKeeper write transactions (zxid) per process.
	WritesPerRun float64
	// Failed counts processes that exited non-zero.
	Failed int
	// CPUPerRun is the mean user+system CPU time of a process (the
	// barrier shell, the program and, for the winner, its child).
	CPUPerRun time.Duration
}

// herdKind is what the processes of a herd run: a name for its
// directories and errors, and the command line the barrier shell of
// process i execs in a given round. The command must exit 0 both when it
// runs its child (this program in herd mode, which holds on until
// released; in burst mode, which exits at once) and when it finds the
// lock busy.
type herdKind struct {
	name string
	argv func(round, i int) []string
}

// Names of the herd kinds: switchman, and the yardsticks it is compared
// with in the same herd.
const (
	herdSwitchman = "switchman"
	herdFloor     = "floor" // internal/bench/zkfloor: session, one ephemeral node, fork+exec+wait
	herdEmpty     = "empty" // an empty Go program: process start alone
)

// herdKinds returns switchman's herd and, when they build, the herds of
// the floor program and of the empty Go program; a build failure is in
// errs under the kind's name.
func (f *fixture) herdKinds() (kinds []herdKind, errs map[string]error) {
	errs = map[string]error{}
	kinds = []herdKind{{herdSwitchman, func(int, int) []string {
		return []string{f.bin, "-c", f.cfg, "--lockname", "herd", "--", f.self}
	}}}
	// Generous: a build takes seconds; this only stops a hung one.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if zkFloor, err := f.zkFloor(ctx); err != nil {
		errs[herdFloor] = err
	} else {
		// A node per round: a winner whose close did not reach ZooKeeper
		// leaves its node until its session expires, and the next round
		// must not meet it.
		kinds = append(kinds, herdKind{herdFloor, func(round, _ int) []string {
			return []string{zkFloor, f.srv.Addr, fmt.Sprintf("%s/herd-floor-%d", prefix, round), f.self}
		}})
	}
	if empty, err := f.goProgram(ctx, "gofloor", goFloorSrc); err != nil {
		errs[herdEmpty] = err
	} else {
		kinds = append(kinds, herdKind{herdEmpty, func(int, int) []string { return []string{empty} }})
	}
	return kinds, errs
}

// herdTimeout bounds each wait of a herd round.
const herdTimeout = 60 * time.Second

// barrierScript holds each process at a FIFO until the bench opens its
// write end, which wakes every reader at once: the whole herd starts in
// the same instant rather than in fork order. It first reports, on fd 3,
// that it is about to block.
const barrierScript = `printf x >&3; exec 3>&-; : <"$0"; exec "$@"`

// measureHerd runs rounds herds of n processes of every kind, interleaved:
// each round runs one herd of each kind, starting with a different kind
// each round, so that a change in the machine's load falls on all of them.
// A kind whose herd fails runs no more rounds; its error is in errs, keyed
// by name, beside the rounds it completed.
func measureHerd(f *fixture, kinds []herdKind, mode string, n, rounds int) (out map[string][]herdRound, errs map[string]error) {
	out, errs = map[string][]herdRound{}, map[string]error{}
	for i := range rounds {
		for j := range kinds {
			k := kinds[(i+j)%len(kinds)]
			if errs[k.name] != nil {
				continue
			}
			r, err := f.herdOnce(k, mode, n, i)
			if err != nil {
				errs[k.name] = fmt.Errorf("herd round %d: %w", i, err)
				continue
			}
			out[k.name] = append(out[k.name], r)
		}
	}
	return out, errs
}

// herdProc is one process of a herd and, once reaped, its exit status.
type herdProc struct {
	cmd  *exec.Cmd
	code int
}

// herdOnce runs one herd of kind k in its own directory, its children in
// mode (childHerd or childBurst), and checks that every process exited 0
// (run, or skipped on the busy lock).
func (f *fixture) herdOnce(k herdKind, mode string, n, round int) (herdRound, error) {
	r := herdRound{N: n}
	dir := filepath.Join(f.dir, fmt.Sprintf("%s-%s-%d", mode, k.name, round))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return r, err
	}
	fifo, ran, release := filepath.Join(dir, "go"), filepath.Join(dir, "ran"), filepath.Join(dir, "release")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return r, fmt.Errorf("mkfifo: %w", err)
	}
	procs, err := startHerd(n, func(i int) []string { return k.argv(round, i) }, mode, fifo, ran, release, dir)
	if err != nil {
		return r, err
	}
	p0, err := f.packetsReceived()
	if err != nil {
		abort(procs)
		return r, err
	}
	z0, err := f.zxid()
	if err != nil {
		abort(procs)
		return r, err
	}
	start := time.Now()
	// Opening the write end blocks until a reader is there, and every
	// process is already blocked reading: all wake now. The write end
	// stays open so that a straggler's open cannot block.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		abort(procs)
		return r, err
	}
	defer w.Close()
	r.Losers, r.All, err = waitHerd(procs, start, ran, release)
	if err != nil {
		return r, err
	}
	p1, err := f.packetsReceived()
	if err != nil {
		return r, err
	}
	r.PacketsPerRun = float64(p1-p0) / float64(n)
	z1, err := f.zxid()
	if err != nil {
		return r, err
	}
	r.WritesPerRun = float64(z1-z0) / float64(n)
	var cpu time.Duration
	for _, p := range procs {
		if p.code != 0 {
			r.Failed++
		}
		cpu += p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	}
	r.CPUPerRun = cpu / time.Duration(n)
	r.Ran = countLines(ran)
	if r.Failed > 0 {
		errs, _ := os.ReadFile(filepath.Join(dir, "stderr"))
		return r, fmt.Errorf("%d of %d processes exited non-zero; stderr: %.500s", r.Failed, n, errs)
	}
	return r, nil
}

// startHerd starts n barrier shells, shell i to exec argv(i) with its
// child in mode, and returns once all of them are about to block on the
// FIFO.
func startHerd(n int, argv func(i int) []string, mode, fifo, ran, release, dir string) ([]*herdProc, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		pw.Close()
		return nil, err
	}
	defer errFile.Close()
	env := append(os.Environ(), envChild+"="+mode, envRan+"="+ran, envRelease+"="+release)
	var procs []*herdProc
	for i := range n {
		cmd := exec.Command("/bin/sh", append([]string{"-c", barrierScript, fifo}, argv(i)...)...)
		cmd.Env = env
		cmd.Stderr = errFile
		cmd.ExtraFiles = []*os.File{pw}
		if err := cmd.Start(); err != nil {
			pw.Close()
			abort(procs)
			return nil, fmt.Errorf("start herd process: %w", err)
		}
		procs = append(procs, &herdProc{cmd: cmd, code: -1})
	}
	pw.Close() // only the children hold the write end now
	if err := pr.SetReadDeadline(time.Now().Add(herdTimeout)); err != nil {
		abort(procs)
		return nil, err
	}
	if _, err := io.ReadFull(pr, make([]byte, n)); err != nil {
		abort(procs)
		return nil, fmt.Errorf("herd processes did not all reach the barrier: %w", err)
	}
	// A process reports just before its open(); give the last ones time
	// to enter it. Late ones are not held back anyway: the write end stays
	// open.
	time.Sleep(50 * time.Millisecond)
	return procs, nil
}

// waitHerd waits until every process whose child did not run has exited,
// lets the running children go, and waits for the rest. It returns both
// times from start.
func waitHerd(procs []*herdProc, start time.Time, ran, release string) (losers, all time.Duration, err error) {
	exited := make(chan *herdProc, len(procs))
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.cmd.Wait()
			p.code = p.cmd.ProcessState.ExitCode()
			exited <- p
		}()
	}
	defer wg.Wait()
	timeout := time.After(herdTimeout)
	// Polling the ran file: a child that ran stays alive until released,
	// so exited + ran == n means every other process is done.
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for count := 0; count < len(procs); {
		select {
		case <-exited:
			count++
		case <-poll.C:
		case <-timeout:
			killAll(procs)
			return 0, 0, fmt.Errorf("%d of %d processes still running after %s", len(procs)-count, len(procs), herdTimeout)
		}
		if losers == 0 && count+countLines(ran) >= len(procs) {
			losers = time.Since(start)
			if err := os.WriteFile(release, nil, 0o644); err != nil {
				killAll(procs)
				return 0, 0, err
			}
		}
	}
	return losers, time.Since(start), nil
}

// countLines returns the number of lines in the file at path (0 if none).
func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// killAll kills every process of the herd; their waiters reap them.
func killAll(procs []*herdProc) {
	for _, p := range procs {
		if p.cmd.Process != nil {
			_ = p.cmd.Process.Kill()
		}
	}
}

// abort kills and reaps the herd before its waiters exist.
func abort(procs []*herdProc) {
	killAll(procs)
	for _, p := range procs {
		_ = p.cmd.Wait()
	}
}
