package supervise

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/limits"
)

// The test binary doubles as every child process the tests need: TestMain
// runs the helper named by $SUPERVISE_HELPER instead of the tests.
const (
	helperEnv = "SUPERVISE_HELPER"
	// wrapperGraceEnv sets Options.Grace in the "wrapper" helper.
	wrapperGraceEnv = "SUPERVISE_WRAPPER_GRACE"
	// wrapperCgroupEnv, set, makes the "wrapper" helper run its child
	// behind the shim (this binary) in a cgroup of its own.
	wrapperCgroupEnv = "SUPERVISE_WRAPPER_CGROUP"
	// helperLifetime bounds every helper that waits for something, so a
	// broken test leaves no process behind for long.
	helperLifetime = 60 * time.Second
)

func TestMain(m *testing.M) {
	// The test binary is its own shim (Options.Shim = os.Args[0]), and the
	// shim's stage, as switchman is when switchman-shim is not installed.
	if len(os.Args) > 1 && os.Args[1] == ShimArg {
		os.Exit(RunShim(os.Args[2:]))
	}
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode, os.Args[1:]))
	}
	// The tests play switchman, which enables the subreaper in main.
	if err := EnableSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// helpers maps $SUPERVISE_HELPER to what the child does; it returns the
// exit code.
var helpers = map[string]func(args []string) int{
	"exit":     helperExit,
	"sleep":    helperSleep,
	"trap":     helperTrap,
	"ignore":   helperIgnore,
	"spawn":    helperSpawn,
	"orphan":   helperOrphan,
	"print":    helperPrint,
	"alloc":    helperAlloc,
	"wrapper":  helperWrapper,
	"escape":   helperEscape,
	"burn":     helperBurn,
	"nocgroup": helperNoCgroup,
}

func runHelper(mode string, args []string) int {
	h, ok := helpers[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
		return 2
	}
	return h(args)
}

// helperCmd returns a command running this binary as helper mode.
func helperCmd(mode string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = helperEnvFor(mode)
	return cmd
}

// helperEnvFor returns this process's environment with the helper mode set.
// Under -race, a helper that exits with status 0 would sleep for a second
// first (the race runtime's atexit_sleep_ms); GORACE turns that off.
func helperEnvFor(mode string) []string {
	var env []string
	gorace := "atexit_sleep_ms=0"
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, helperEnv+"="):
		case strings.HasPrefix(kv, "GORACE="):
			gorace = strings.TrimPrefix(kv, "GORACE=") + " " + gorace
		default:
			env = append(env, kv)
		}
	}
	return append(env, helperEnv+"="+mode, "GORACE="+gorace)
}

// exit N: exit with status N.
func helperExit(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// sleep D: sleep, dying of SIGTERM like any program that does not catch it.
func helperSleep(args []string) int {
	d, _ := time.ParseDuration(args[0])
	time.Sleep(d)
	return 0
}

// trap D: report every signal it gets as "got SIGNAME"; SIGUSR1 is only
// reported, any other catchable ending signal ends it with status 0 after D.
func helperTrap(args []string) int {
	linger, _ := time.ParseDuration(args[0])
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1)
	fmt.Println("ready")
	deadline := time.After(helperLifetime)
	for {
		select {
		case s := <-sigs:
			fmt.Println("got " + signalName(s.(syscall.Signal)))
			if s != syscall.SIGUSR1 {
				time.Sleep(linger)
				return 0
			}
		case <-deadline:
			return 1
		}
	}
}

// ignore: ignore the ending signals and sleep.
func helperIgnore([]string) int {
	signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	fmt.Println("ready")
	time.Sleep(helperLifetime)
	return 0
}

// spawn N group|setsid exit|stay MODE ARGS...: start N children running
// helper MODE, in our process group or in new sessions, print "pid P" for
// each, then exit or stay.
func helperSpawn(args []string) int {
	n, _ := strconv.Atoi(args[0])
	for i := 0; i < n; i++ {
		cmd := helperCmd(args[3], args[4:]...)
		cmd.Stdout = os.Stdout
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: args[1] == "setsid"}
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("pid %d\n", cmd.Process.Pid)
	}
	if args[2] == "exit" {
		return 0
	}
	time.Sleep(helperLifetime)
	return 0
}

// orphan D: run a short-lived process that starts a grandchild sleeping D
// and exits at once, so the grandchild is orphaned while we keep running.
func helperOrphan(args []string) int {
	mid := helperCmd("spawn", "1", "group", "exit", "sleep", args[0])
	mid.Stdout = os.Stdout
	if err := mid.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	time.Sleep(helperLifetime)
	return 0
}

// escape exit|stay: start a descendant that leaves the process group
// with setsid while we live, and a daemon that double-forks away (its
// parent exits at once), both ignoring the stop signals; print "pid P"
// for each and "ready", then exit or stay.
func helperEscape(args []string) int {
	escapee := helperCmd("ignore")
	escapee.Stdout = os.Stdout
	escapee.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := escapee.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("pid %d\n", escapee.Process.Pid)
	daemon := helperCmd("spawn", "1", "setsid", "exit", "ignore")
	daemon.Stdout = os.Stdout
	if err := daemon.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	if args[0] == "exit" {
		return 0
	}
	time.Sleep(helperLifetime)
	return 0
}

// burn D: use D of CPU time, then print "rusage U" with the microseconds
// of CPU time, user and system, that this process used, as it counts them.
func helperBurn(args []string) int {
	d, _ := time.ParseDuration(args[0])
	var ru syscall.Rusage
	used := func() time.Duration {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	deadline := time.Now().Add(helperLifetime)
	x := 0
	for used() < d && time.Now().Before(deadline) {
		for i := 0; i < 1000000; i++ {
			x += i
		}
	}
	fmt.Printf("rusage %d %d\n", used().Microseconds(), x%2)
	return 0
}

// nocgroup: for a process that may not create cgroups, print "probe ERR"
// with why cgroup.Probe says it cannot, run a command with Options.Cgroup
// and print "ran CGROUP EXIT", then try one with a memory cap and print
// "capped ERR".
func helperNoCgroup([]string) int {
	_, err := cgroup.Probe()
	fmt.Printf("probe %v\n", err)
	o := Options{Path: "/bin/sh", Args: []string{"-c", "exit 3"}, Shim: os.Args[0], Cgroup: true}
	c, err := Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := c.Wait(context.Background())
	fmt.Printf("ran %q %d\n", r.Cgroup, r.ExitCode)
	o.Cgroup = false
	if err := o.Limits.Set(limits.FlagMemoryMax, "1G"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if c, err = Start(o); err == nil {
		c.Wait(context.Background())
	}
	fmt.Printf("capped %v\n", err)
	return 0
}

// Output of the "print" helper: binary bytes and no final newline, to show
// nothing is added, dropped or re-encoded.
const (
	printOut = "out line\n\x00\xff\xfe no newline"
	printErr = "err line\n"
)

// print: write printOut to stdout, then printErr to stderr.
func helperPrint([]string) int {
	os.Stdout.WriteString(printOut)
	os.Stderr.WriteString(printErr)
	return 0
}

// alloc MB: allocate and touch MB MiB, so they count in the peak RSS.
func helperAlloc(args []string) int {
	mb, _ := strconv.Atoi(args[0])
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	fmt.Println(b[len(b)/2])
	return 0
}

// wrapperResult is the Result as the "wrapper" helper prints it.
type wrapperResult struct {
	ExitCode int
	Signal   int
	Stopped  bool
	Killed   bool
	Cause    string
}

// wrapper MODE ARGS...: play switchman: enable the subreaper, supervise a
// helper MODE child forwarding the ending signals and SIGUSR1, print
// "child PID", "catching" once signals are caught, and "result JSON"; then
// linger until a signal ends it.
func helperWrapper(args []string) int {
	if err := EnableSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	grace, _ := time.ParseDuration(os.Getenv(wrapperGraceEnv))
	// Registered before Start, as switchman does: no signal is lost
	// between the fork and Wait.
	caught := make(chan os.Signal, 8)
	signal.Notify(caught, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1)
	o := Options{
		Path:    os.Args[0],
		Args:    args[1:],
		Env:     helperEnvFor(args[0]),
		Grace:   grace,
		Signals: caught,
	}
	if os.Getenv(wrapperCgroupEnv) != "" {
		o.Shim, o.Cgroup = os.Args[0], true
	}
	c, err := Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("child %d\n", c.PID())
	fmt.Println("catching")
	r := c.Wait(context.Background())
	signal.Stop(caught)
	out := wrapperResult{ExitCode: r.ExitCode, Signal: int(r.Signal), Stopped: r.Stopped, Killed: r.Killed}
	if r.StopCause != nil {
		out.Cause = r.StopCause.Error()
	}
	b, _ := json.Marshal(out)
	fmt.Printf("result %s\n", b)
	// Signals are no longer caught: the test ends us with one.
	time.Sleep(helperLifetime)
	return 0
}
