// Command histchild is the job the fault-injection harness runs under
// switchman: it records its own life in a shared history log (see package
// history for the format) and sleeps, so that the checker can tell whether two
// children of one lock ever ran at once.
//
// On start it appends a start line, then sleeps a random duration in
// [-min, -max]; on normal end or on SIGTERM/SIGINT it appends the end line.
// With -ignore-term it records and ignores SIGTERM (so switchman must KILL it);
// with -fork N it first starts N grandchildren in its process group that sleep
// -grandchild-sleep (and ignore SIGTERM too under -ignore-term), so that the
// harness can check that switchman stops the whole group. With -setsid the
// grandchildren start in sessions of their own instead, escaping the group.
//
// Lock and host come from SWITCHMAN_LOCK and SWITCHMAN_HOST, exported by the
// wrapper (lock "-" and os.Hostname() when unset); SWITCHMAN_FENCING_TOKEN,
// SWITCHMAN_GROUP, SWITCHMAN_LEASES and SWITCHMAN_SLOT are recorded as the
// extra fields token, group, leases and slot. Every flag can also be given in the environment
// (HISTCHILD_LOG, HISTCHILD_MIN, ...), which is handy in a cron line; a flag
// wins over the environment.
//
// It prints nothing unless it fails; exit status 2 means bad usage, 1 a log
// write failure, and death by SIGTERM is re-raised so the parent sees the
// signal.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/acme/switchman/internal/history"
)

// roleEnv marks a re-executed histchild as a grandchild.
const roleEnv = "HISTCHILD_ROLE"

// config is the parsed command line.
type config struct {
	log             string
	min, max        time.Duration
	ignoreTerm      bool
	fork            int
	setsid          bool
	grandchildSleep time.Duration
	exitCode        int
}

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run is main without the process exit, so tests can drive it.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	if getenv(roleEnv) == "grandchild" {
		return grandchild(getenv)
	}
	start := time.Now()
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "histchild: %v\n", err)
		return 2
	}
	// Subscribe before anything else so that a TERM arriving while the start
	// line is being written is not lost (the default action would kill us
	// without an end line).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	r, err := startRun(cfg, start, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "histchild: %v\n", err)
		return 1
	}
	sig, terms := sleep(cfg, sigs)
	if err := endRun(cfg, r, sig, terms); err != nil {
		fmt.Fprintf(stderr, "histchild: %v\n", err)
		return 1
	}
	if sig != nil {
		reraise(sig)
	}
	return cfg.exitCode
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	var err error
	fs := flag.NewFlagSet("histchild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envDur := func(name string, def time.Duration) time.Duration {
		if d, e := time.ParseDuration(getenv(name)); e == nil {
			return d
		} else if getenv(name) != "" && err == nil {
			err = fmt.Errorf("%s=%q is not a duration", name, getenv(name))
		}
		return def
	}
	envInt := func(name string, def int) int {
		if n, e := strconv.Atoi(getenv(name)); e == nil {
			return n
		} else if getenv(name) != "" && err == nil {
			err = fmt.Errorf("%s=%q is not an integer", name, getenv(name))
		}
		return def
	}
	fs.StringVar(&cfg.log, "log", getenv("HISTCHILD_LOG"), "history log to append to (required; env HISTCHILD_LOG)")
	fs.DurationVar(&cfg.min, "min", envDur("HISTCHILD_MIN", 100*time.Millisecond), "shortest sleep (env HISTCHILD_MIN)")
	fs.DurationVar(&cfg.max, "max", envDur("HISTCHILD_MAX", 500*time.Millisecond), "longest sleep (env HISTCHILD_MAX)")
	fs.BoolVar(&cfg.ignoreTerm, "ignore-term", getenv("HISTCHILD_IGNORE_TERM") == "1", "record and ignore SIGTERM (env HISTCHILD_IGNORE_TERM=1)")
	fs.IntVar(&cfg.fork, "fork", envInt("HISTCHILD_FORK", 0), "grandchildren to start in the process group (env HISTCHILD_FORK)")
	fs.BoolVar(&cfg.setsid, "setsid", getenv("HISTCHILD_SETSID") == "1", "start the grandchildren in new sessions, out of the process group (env HISTCHILD_SETSID=1)")
	fs.DurationVar(&cfg.grandchildSleep, "grandchild-sleep", envDur("HISTCHILD_GRANDCHILD_SLEEP", time.Hour), "how long grandchildren live (env HISTCHILD_GRANDCHILD_SLEEP)")
	fs.IntVar(&cfg.exitCode, "exit", envInt("HISTCHILD_EXIT", 0), "exit status after a normal end (env HISTCHILD_EXIT)")
	if err != nil {
		return cfg, err
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, validate(cfg, fs.Args())
}

func validate(cfg config, rest []string) error {
	switch {
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q", rest[0])
	case cfg.log == "":
		return errors.New("-log (or HISTCHILD_LOG) is required")
	case cfg.min < 0 || cfg.max < cfg.min:
		return fmt.Errorf("want 0 <= -min <= -max, got -min %v -max %v", cfg.min, cfg.max)
	case cfg.fork < 0 || cfg.fork > 64:
		return fmt.Errorf("-fork %d out of range 0..64", cfg.fork)
	case cfg.exitCode < 0 || cfg.exitCode > 125:
		return fmt.Errorf("-exit %d out of range 0..125", cfg.exitCode)
	}
	return nil
}

// startRun starts the grandchildren and appends the start line, which names
// their pids in the extra field grandchildren so the harness can look for
// leftovers.
func startRun(cfg config, start time.Time, getenv func(string) string) (history.Run, error) {
	r := history.Run{Lock: getenv("SWITCHMAN_LOCK"), Host: getenv("SWITCHMAN_HOST"), PID: os.Getpid(), Start: start,
		Extra: map[string]string{}}
	if r.Lock == "" {
		r.Lock = history.NoLock
	}
	if r.Host == "" {
		r.Host, _ = os.Hostname()
	}
	for key, env := range map[string]string{"token": "SWITCHMAN_FENCING_TOKEN", "group": "SWITCHMAN_GROUP", "leases": "SWITCHMAN_LEASES", "slot": "SWITCHMAN_SLOT"} {
		if v := getenv(env); v != "" {
			r.Extra[key] = v
		}
	}
	// Start times, so that a checker tells these processes from later
	// ones that reuse their pids (history.Proc).
	r.Extra["ticks"] = strconv.FormatUint(history.ProcOf(r.PID).Ticks, 10)
	pids, err := forkGrandchildren(cfg)
	if len(pids) > 0 {
		ticks := make([]string, len(pids))
		for i, s := range pids {
			pid, _ := strconv.Atoi(s)
			ticks[i] = strconv.FormatUint(history.ProcOf(pid).Ticks, 10)
		}
		r.Extra["grandchildren"] = strings.Join(pids, ",")
		r.Extra["grandchildren_ticks"] = strings.Join(ticks, ",")
	}
	if err != nil {
		return r, err
	}
	return r, appendRun(cfg.log, r)
}

func appendRun(path string, r history.Run) error {
	line, err := history.Format(r)
	if err != nil {
		return err
	}
	return history.Append(path, line)
}

// forkGrandchildren re-executes this program as n grandchildren. They stay in
// our process group (no Setpgid) unless cfg.setsid, and are never waited
// for: when we exit they are orphans, exactly the leftovers switchman must
// clean up.
func forkGrandchildren(cfg config) ([]string, error) {
	if cfg.fork == 0 {
		return nil, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	var pids []string
	for range cfg.fork {
		cmd := exec.Command(self)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: cfg.setsid}
		cmd.Env = append(os.Environ(), roleEnv+"=grandchild",
			"HISTCHILD_GRANDCHILD_SLEEP="+cfg.grandchildSleep.String(),
			"HISTCHILD_IGNORE_TERM="+boolEnv(cfg.ignoreTerm))
		if err := cmd.Start(); err != nil {
			return pids, fmt.Errorf("start grandchild: %w", err)
		}
		pids = append(pids, strconv.Itoa(cmd.Process.Pid))
		cmd.Process.Release()
	}
	return pids, nil
}

func boolEnv(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// sleep waits for a random duration in [min, max] or a stop signal. Under
// -ignore-term SIGTERM and SIGINT are only counted. It returns the signal that ended the
// run (nil for a normal end) and how many were ignored.
func sleep(cfg config, sigs <-chan os.Signal) (os.Signal, int) {
	d := cfg.min
	if cfg.max > cfg.min {
		d += rand.N(cfg.max - cfg.min + 1)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	terms := 0
	for {
		select {
		case <-timer.C:
			return nil, terms
		case s := <-sigs:
			if !cfg.ignoreTerm {
				return s, terms
			}
			terms++
		}
	}
}

func endRun(cfg config, r history.Run, sig os.Signal, terms int) error {
	r.End, r.Ended = time.Now(), true
	r.Extra["exit"] = "normal"
	if sig != nil {
		r.Extra["exit"] = signalName(sig)
	}
	if terms > 0 {
		r.Extra["terms"] = strconv.Itoa(terms)
	}
	return appendRun(cfg.log, r)
}

// signalName is the exit field for a run ended by sig: "int" or "term".
func signalName(sig os.Signal) string {
	if sig == syscall.SIGINT {
		return "int"
	}
	return "term"
}

// reraise dies by sig with the default action, so the parent's wait status
// shows the signal as it would for an ordinary job.
func reraise(sig os.Signal) {
	signal.Reset(sig)
	s := sig.(syscall.Signal)
	_ = syscall.Kill(os.Getpid(), s)
	// The signal is delivered asynchronously; give it a moment before
	// falling back to the shell's convention of 128+N.
	time.Sleep(time.Second)
	os.Exit(128 + int(s))
}

// grandchild sleeps, optionally ignoring SIGTERM, and exits.
func grandchild(getenv func(string) string) int {
	if getenv("HISTCHILD_IGNORE_TERM") == "1" {
		// Ignored, not caught: only SIGKILL (switchman's group kill) ends us.
		signal.Ignore(syscall.SIGTERM)
	}
	d, err := time.ParseDuration(getenv("HISTCHILD_GRANDCHILD_SLEEP"))
	if err != nil {
		d = time.Hour
	}
	time.Sleep(d)
	return 0
}
