package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/acme/switchman/supervise"
)

// Variant keys of the overhead measurement. The first three are what the
// issue compares; the others split switchman's time into its parts.
const (
	vBare    = "bare"    // /bin/true
	vFlock   = "flock"   // flock(1) around /bin/true: the local-lock floor
	vLocked  = "locked"  // switchman -- /bin/true: lock taken and released
	vGoFloor = "gofloor" // an empty Go program: any Go wrapper's floor
	vGoExec  = "goexec"  // a minimal Go wrapper: fork+exec+wait /bin/true
	vZKFloor = "zkfloor" // the same plus a ZooKeeper session and one ephemeral node (internal/bench/zkfloor)
	vVersion = "version" // switchman --version: this binary's start-up alone
	vNoLock  = "nolock"  // switchman --no-lock -- /bin/true: config and supervision, no ZooKeeper
	vNoCg    = "nocg"    // the same with cgroup: off: what a run's cgroup costs is vNoLock's time less this
	vShim    = "shim"    // switchman-shim running /bin/true, as switchman starts it: the shim's part of a run
	vBase    = "base"    // -baseline BIN -- /bin/true: another build, for before/after comparisons
)

// overheadResult holds whole-process wall times per variant, measured in
// interleaved rounds (index i of every slice is round i).
type overheadResult struct {
	Times map[string][]time.Duration
	// CPU is user+system CPU time per run and variant (the child's
	// included, as wait4 reports it).
	CPU map[string][]time.Duration
	// Locked is how many measured switchman runs (the baseline's too)
	// created and deleted a lock node (from PREFIX/locks' child version).
	Locked int
	// PacketsPerRun is ZooKeeper requests served per locked switchman run
	// (averaged with the baseline's, when there is one).
	PacketsPerRun float64
}

// overheadWarmup rounds run first and are not recorded: they fill the page
// cache and let ZooKeeper's JIT compile its request path.
const overheadWarmup = 10

type variant struct {
	key  string
	argv []string
}

// measureOverhead runs every variant once per round, rounds times,
// starting each round with a different variant so that none always
// follows another.
func measureOverhead(ctx context.Context, f *fixture, rounds int, baseline string) (overheadResult, error) {
	r := overheadResult{Times: map[string][]time.Duration{}, CPU: map[string][]time.Duration{}}
	goFloor, err := f.goProgram(ctx, "gofloor", goFloorSrc)
	if err != nil {
		return r, err
	}
	goExec, err := f.goProgram(ctx, "goexec", goExecSrc)
	if err != nil {
		return r, err
	}
	zkFloor, err := f.zkFloor(ctx)
	if err != nil {
		return r, err
	}
	shim := filepath.Join(filepath.Dir(f.bin), "switchman-shim")
	if _, err := os.Stat(shim); err != nil {
		return r, fmt.Errorf("the shim beside switchman: %w (run `make build`)", err)
	}
	variants := []variant{
		{vBare, []string{"/bin/true"}},
		{vFlock, []string{"flock", filepath.Join(f.dir, "flock.lock"), "/bin/true"}},
		{vLocked, []string{f.bin, "-c", f.cfg, "--", "/bin/true"}},
		{vGoFloor, []string{goFloor}},
		{vGoExec, []string{goExec, "/bin/true"}},
		{vZKFloor, []string{zkFloor, f.srv.Addr, prefix + "/floor", "/bin/true"}},
		{vVersion, []string{f.bin, "--version"}},
		{vNoLock, []string{f.bin, "-c", f.cfg, "--no-lock", "--", "/bin/true"}},
		{vNoCg, []string{f.bin, "-c", f.noCgroupCfg, "--no-lock", "--", "/bin/true"}},
		{vShim, []string{shim, supervise.ShimArg, strconv.Itoa(os.Getpid()), "/bin/true", "true"}},
	}
	if baseline != "" {
		variants = append(variants, variant{vBase, []string{baseline, "-c", f.cfg, "--", "/bin/true"}})
	}
	errPath := filepath.Join(f.dir, "overhead-stderr")
	errFile, err := os.Create(errPath)
	if err != nil {
		return r, err
	}
	defer errFile.Close()
	run := func(v variant) (wall, cpu time.Duration, err error) {
		cmd := exec.CommandContext(ctx, v.argv[0], v.argv[1:]...)
		// Files, not buffers: no copying goroutine skews one variant.
		cmd.Stderr = errFile
		start := time.Now()
		err = cmd.Run()
		wall = time.Since(start)
		if err != nil {
			b, _ := os.ReadFile(errPath)
			return wall, 0, fmt.Errorf("%v: %w (stderr: %q)", v.argv, err, b)
		}
		return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
	}
	for i := range overheadWarmup * len(variants) {
		if _, _, err := run(variants[i%len(variants)]); err != nil {
			return r, err
		}
	}
	cv0, err := f.lockCversion()
	if err != nil {
		return r, err
	}
	// Requests are counted around each switchman run alone (the floor
	// program talks to ZooKeeper too), outside the timed part, less what
	// reading the counter itself adds.
	probe, err := f.mntrCost()
	if err != nil {
		return r, err
	}
	var packets, locked int64
	for i := range rounds {
		for k := range variants {
			v := variants[(i+k)%len(variants)]
			counted := v.key == vLocked || v.key == vBase
			var p0 int64
			if counted {
				if p0, err = f.packetsReceived(); err != nil {
					return r, err
				}
			}
			wall, cpu, err := run(v)
			if err != nil {
				return r, err
			}
			if counted {
				p1, err := f.packetsReceived()
				if err != nil {
					return r, err
				}
				packets += p1 - p0 - probe
				locked++
			}
			r.Times[v.key] = append(r.Times[v.key], wall)
			r.CPU[v.key] = append(r.CPU[v.key], cpu)
		}
	}
	cv1, err := f.lockCversion()
	if err != nil {
		return r, err
	}
	r.Locked = int(cv1-cv0) / 2
	r.PacketsPerRun = float64(packets) / float64(locked)
	if b, _ := os.ReadFile(errPath); len(b) > 0 {
		return r, fmt.Errorf("a run printed to stderr: %q", b)
	}
	return r, nil
}

// goFloorSrc is an empty Go program: what any wrapper written in Go pays
// to start, before doing anything.
const goFloorSrc = "package main\n\nfunc main() {}\n"

// goExecSrc is the least a Go wrapper can do: start its argument, wait for
// it and pass its exit status on (syscall.ForkExec, as switchman's shim
// does, skipping os/exec's pidfd probe).
const goExecSrc = `package main

import (
	"os"
	"syscall"
)

func main() {
	pid, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		os.Exit(70)
	}
	os.Exit(ws.ExitStatus())
}
`

// buildGo compiles src, a one-file main package, to dir/name with
// switchman's own build flags.
func buildGo(ctx context.Context, dir, name, src string) (string, error) {
	file := filepath.Join(dir, name+".go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", name, err, out)
	}
	return bin, nil
}

// buildZKFloor builds internal/bench/zkfloor (it imports the ZooKeeper
// client, so it is built from this module, not from a temporary file).
func buildZKFloor(ctx context.Context, dir string) (string, error) {
	return buildPackage(ctx, filepath.Join(dir, "zkfloor"), "github.com/acme/switchman/internal/bench/zkfloor")
}

// buildPackage builds the main package pkg of this module to bin, with
// switchman's build flags and any extra go build flags.
func buildPackage(ctx context.Context, bin, pkg string, flags ...string) (string, error) {
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	args := append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", bin}, flags...)
	cmd := exec.CommandContext(ctx, goTool, append(args, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s %v: %w: %s", pkg, flags, err, out)
	}
	return bin, nil
}

// minus returns a[i]-b[i]: per-round differences.
func minus(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// ratios returns a[i]/b[i]: per-round ratios.
func ratios(a, b []time.Duration) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = float64(a[i]) / float64(b[i])
	}
	return out
}
