// Package cmdline reads switchman's wrapper line: the options and the
// command after the word "switchman", as the original Perl tool read them
// (Getopt::Long's rules, see internal/getopt, and Perl's exec of the
// command), together with the rule that tells a wrapper line from one of
// switchman's own commands, and the notes that say where a line's meaning
// rests on the original's reading (for `switchman crontab check`).
//
// It parses and validates only: nothing here runs a command or talks to
// ZooKeeper.
package cmdline

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/internal/getopt"
	"github.com/acme/switchman/lease"
	"github.com/acme/switchman/limits"
)

// Options are a wrapper line: switchman's options and the command.
type Options struct {
	Config     string
	Group      string
	LockName   string
	NoLock     bool
	Timeout    time.Duration
	Hostname   string
	SkipCode   int // UnsetCode when --skipped-exit-code is not given
	Leases     []string
	Wait       time.Duration
	WaitForced bool // --wait given: queue for a busy lock instead of skipping
	// HaltOnFailure stops later runs after a failed one until `switchman resume`.
	HaltOnFailure bool
	// ExpectedDuration is stored with the lock for `switchman check overdue`.
	ExpectedDuration time.Duration
	// MinInterval: start at most once per this across the fleet.
	MinInterval time.Duration
	// Limits are the command's resource limits (--nice, --rlimit, ...),
	// each checked as it was parsed.
	Limits limits.Limits
	// LimitsBestEffort runs the command without the cgroup limits the
	// host cannot enforce, instead of refusing to start it.
	LimitsBestEffort bool
	// Schedule is the line's cron schedule (--schedule): the run claims
	// its slot, the latest firing time at or before its start, once
	// fleet-wide. "" for none: the run has no slot.
	Schedule string
	// Standby is the delay between the hosts of the group in standby
	// order (--standby): the host at place k tries its slot k×Standby
	// after it.
	Standby time.Duration
	// CatchUp is how far back a missed slot is still run later
	// (--catch-up): `switchman catch-up` runs the latest slot of the line
	// within it that no host claimed. 0: never.
	CatchUp time.Duration
	// Splay spreads a fleet's runs of one tick: the run waits a fixed
	// offset in [0, Splay) of its lock and host before it connects.
	Splay time.Duration
	// Retry is how many times a failed command is run again (--retry), on
	// this host under the same lock; 0: never.
	Retry int
	// RetryBackoff is the ceiling of the first wait before a retry; it
	// doubles for each later one, up to MaxRetryBackoff (or RetryBackoff,
	// when larger), and the wait is drawn uniformly below it.
	RetryBackoff time.Duration
	// RetryOn are the exit statuses that are retried (--retry-on); nil:
	// every failure but a stop's.
	RetryOn []int
	// retryOn is --retry-on as given, parsed into RetryOn.
	retryOn string
	// Notify names the config's notifier (key notifiers) whose commands
	// get the job's events instead of the key notify's; "": those.
	Notify string
	// Command is the command as given; Argv is what is executed (a single
	// word with shell syntax runs through /bin/sh, as the original's
	// Perl exec does: see Argv).
	Command []string
	Argv    []string
	// Help and Version: -h or -v was given (the rest is not validated).
	Help, Version bool
}

// UnsetCode is Options.SkipCode when --skipped-exit-code is not given (the
// config decides).
const UnsetCode = -1

// ConfigUsage is --config's help, for the wrapper and every command.
const ConfigUsage = "config file (default $SWITCHMAN_CONFIG, /etc/switchman.yaml, /etc/switchman.conf)"

// ErrUsage is wrapped by every error Parse returns: the line is wrong, not
// the world.
var ErrUsage = errors.New("cmdline: bad command line")

// usageErr is an error of kind ErrUsage, printed without the sentinel.
type usageErr struct{ err error }

func (e usageErr) Error() string        { return e.err.Error() }
func (e usageErr) Unwrap() error        { return e.err }
func (e usageErr) Is(target error) bool { return target == ErrUsage }

// Usage marks err as a wrong command line (it then matches ErrUsage), for
// a check of the line that needs more than this package knows: a
// --schedule is parsed by package crontab, which imports this one.
func Usage(err error) error { return usageErr{err} }

// Bind adds the wrapper's options to fs, with their help: the one list
// from which Parse reads a line and the command tree prints help and man
// pages. -h and -v are not among them (the command tree adds its own).
func (o *Options) Bind(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Config, "config", "c", "", ConfigUsage)
	fs.StringVarP(&o.Group, "group", "g", "", "run only on hosts of this group (from the prefix znode's group data)")
	fs.StringVar(&o.LockName, "lockname", "", "lock name (default: the basename of CMD)")
	fs.BoolVar(&o.NoLock, "no-lock", false, "take no lock: run on every host of the group (also --nolock; --lock undoes it)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "stop CMD (TERM, then KILL after the grace) when it runs longer, and exit 124")
	fs.StringVar(&o.Hostname, "hostname", "", "this host's identity in group data (default: config hostname, else the FQDN)")
	fs.IntVar(&o.SkipCode, "skipped-exit-code", 0, "exit status when the run is skipped: lock busy or host not in group (default: config skipped_exit_code, else 0)")
	fs.StringArrayVar(&o.Leases, "lease", nil, "lease COUNT of TOTAL of a shared RESOURCE before running: RESOURCE=COUNT:TOTAL (repeatable)")
	fs.DurationVar(&o.Wait, "wait", 0, "when the lock is busy, queue for it fairly and run when free, up to this long (0: no limit)")
	fs.Lookup("wait").NoOptDefVal = "0s"
	fs.BoolVar(&o.HaltOnFailure, "halt-on-failure", false, "after a failed run, start no further run until 'switchman resume LOCKNAME'")
	fs.DurationVar(&o.MinInterval, "min-interval", 0, "start at most once per this long across the fleet (ZooKeeper's clock); a start within it is skipped")
	fs.DurationVar(&o.ExpectedDuration, "expected-duration", 0, "how long a run should take; 'switchman check overdue' reports runs past it")
	o.bindLimits(fs)
	fs.StringVar(&o.Schedule, "schedule", "", "the line's cron schedule: the run claims its slot (the latest scheduled time at or before its start) once fleet-wide, and skips a claimed one")
	fs.DurationVar(&o.Standby, "standby", 0, "with --schedule and --group: the group's hosts in standby order each wait this much longer after the slot before trying it")
	fs.DurationVar(&o.CatchUp, "catch-up", 0, "with --schedule: 'switchman catch-up' runs the latest slot within this long that no host claimed (box down, cron dead), once")
	fs.IntVar(&o.Retry, "retry", 0, "run a failed CMD again up to N times, on this host and under the same lock, within --timeout and before the next --schedule slot")
	fs.DurationVar(&o.RetryBackoff, "retry-backoff", DefaultRetryBackoff, "with --retry: the first wait before a retry is drawn in [0, D); the bound doubles for each later one, up to 5m (or D, when larger)")
	fs.StringVar(&o.retryOn, "retry-on", "", "with --retry: retry only these exit statuses, e.g. 1,75-78 (default: every failure but a stop's: a signal switchman forwarded, --timeout, a lost lock, a move or a kill)")
	fs.StringVar(&o.Notify, "notify", "", "send this job's events through the config's notifiers[NAME] commands instead of notify's")
	fs.DurationVar(&o.Splay, "splay", 0, "before connecting, wait an offset in [0, D) fixed by the lock name and the host, to spread a fleet's tick (at most 1h)")
}

// Parse reads a wrapper line (everything after the word "switchman",
// including "-- CMD ARGS") as the original did (Perl's Getopt::Long, see
// package getopt): switchman's options anywhere on the line until "--",
// long names abbreviated or with one dash, --lock, --nolock and --no-lock.
// posix is POSIXLY_CORRECT in the environment, which makes Getopt::Long
// stop at the first argument. -h and -v come back as Help and Version,
// without validation. Every error wraps ErrUsage and is one line.
func Parse(args []string, posix bool) (*Options, error) {
	o, _, err := parse(args, posix)
	return o, err
}

// parse is Parse that also returns the parse, whose notes say which of the
// original's rules the line relied on.
func parse(args []string, posix bool) (*Options, *getopt.Result, error) {
	o := &Options{}
	fs := pflag.NewFlagSet("switchman", pflag.ContinueOnError)
	o.Bind(fs)
	fs.BoolVarP(&o.Help, "help", "h", false, "")
	fs.BoolVarP(&o.Version, "version", "v", false, "")
	res, err := getopt.Parse(specs(fs), args, getopt.Config{POSIX: posix})
	if err != nil {
		return nil, nil, usageErr{err}
	}
	if err := apply(fs, res); err != nil {
		return nil, res, usageErr{err}
	}
	if o.Help || o.Version {
		return o, res, nil
	}
	if err := o.complete(fs, res.Args); err != nil {
		return nil, res, usageErr{err}
	}
	return o, res, nil
}

// complete validates the parsed flags and takes the command from args.
func (o *Options) complete(fs *pflag.FlagSet, args []string) error {
	if len(args) == 0 {
		return errors.New("no command given: switchman [flags] -- CMD [ARGS...]")
	}
	o.Command = args
	o.Argv = Argv(args)
	o.WaitForced = fs.Changed("wait")
	if !fs.Changed("skipped-exit-code") {
		o.SkipCode = UnsetCode
	}
	// The original's "lockname ||= basename(CMD)": an empty name, and
	// Perl's other false string "0", mean the default.
	if o.LockName == "" || o.LockName == "0" {
		o.LockName = filepath.Base(args[0])
	}
	if err := config.ValidateNodeName(o.LockName); err != nil {
		return fmt.Errorf("invalid lock name: %w", err)
	}
	for _, d := range []struct {
		name string
		val  time.Duration
	}{{"timeout", o.Timeout}, {"min-interval", o.MinInterval}, {"expected-duration", o.ExpectedDuration}, {"standby", o.Standby}, {"catch-up", o.CatchUp}} {
		if d.val < 0 {
			return fmt.Errorf("invalid --%s %s: must not be negative", d.name, d.val)
		}
	}
	if o.HaltOnFailure && o.NoLock {
		return errors.New("--halt-on-failure needs the lock's name and cannot be combined with --no-lock")
	}
	if o.Wait < 0 {
		return fmt.Errorf("invalid --wait %s: must not be negative", o.Wait)
	}
	if err := config.CheckSplay(o.Splay); err != nil {
		return fmt.Errorf("invalid --splay %s: %w", o.Splay, err)
	}
	if o.Hostname != "" {
		if err := config.ValidateHostname(o.Hostname); err != nil {
			return fmt.Errorf("invalid --hostname: %w", err)
		}
	}
	// An empty --group (typically --group "$G" with G unset in a crontab)
	// must not mean "no group": that would run the job on every host.
	if fs.Changed("group") && o.Group == "" {
		return errors.New(`empty --group: give a group name, or leave out --group to run on every host`)
	}
	if o.Group != "" {
		if err := config.ValidateGroupName(o.Group); err != nil {
			return fmt.Errorf("invalid --group: %w", err)
		}
	}
	if o.SkipCode != UnsetCode && (o.SkipCode < 0 || o.SkipCode > 255) {
		return fmt.Errorf("invalid --skipped-exit-code %d: must be 0 to 255", o.SkipCode)
	}
	if fs.Changed("schedule") && strings.TrimSpace(o.Schedule) == "" {
		return errors.New("empty --schedule: give the line's cron schedule, e.g. --schedule '*/5 * * * *'")
	}
	if o.Standby > 0 && (o.Schedule == "" || o.Group == "" || o.NoLock) {
		return errors.New("--standby needs --schedule and --group, and the lock (no --no-lock): it orders the group's hosts on each slot")
	}
	if o.CatchUp > 0 && (o.Schedule == "" || o.NoLock) {
		return errors.New("--catch-up needs --schedule and the lock (no --no-lock): it runs a missed slot, claimed once fleet-wide")
	}
	if o.NoLock && o.WaitForced {
		return errors.New("--wait queues for the lock and cannot be combined with --no-lock")
	}
	if err := o.completeRetry(fs); err != nil {
		return err
	}
	if fs.Changed("notify") {
		if err := config.ValidateNotifierName(o.Notify); err != nil {
			return fmt.Errorf("invalid --notify: %w", err)
		}
	}
	return lease.Check(o.Leases)
}

// DefaultRetryBackoff is --retry-backoff's default: a job that failed on
// a passing fault (a busy database, a network blip) is tried again within
// seconds, and retries of many jobs that failed together spread out.
const DefaultRetryBackoff = 10 * time.Second

// MaxRetryBackoff caps the doubling of --retry-backoff: the bound on the
// wait before a late retry, so that a job's retries stay within minutes of
// each other and of its slot.
const MaxRetryBackoff = 5 * time.Minute

// maxRetry bounds --retry: more attempts than this on one host, under one
// lock, is a loop, not a retry.
const maxRetry = 100

// completeRetry validates --retry, --retry-backoff and --retry-on.
func (o *Options) completeRetry(fs *pflag.FlagSet) error {
	if o.Retry < 0 || o.Retry > maxRetry {
		return fmt.Errorf("invalid --retry %d: must be 0 to %d", o.Retry, maxRetry)
	}
	if o.Retry == 0 && (fs.Changed("retry-backoff") || fs.Changed("retry-on")) {
		return errors.New("--retry-backoff and --retry-on need --retry N: how many times a failed command is run again")
	}
	if o.RetryBackoff <= 0 {
		return fmt.Errorf("invalid --retry-backoff %s: must be positive", o.RetryBackoff)
	}
	if !fs.Changed("retry-on") {
		return nil
	}
	codes, err := ParseCodes(o.retryOn)
	if err != nil {
		return fmt.Errorf("invalid --retry-on %q: %w", o.retryOn, err)
	}
	o.RetryOn = codes
	return nil
}

// ParseCodes reads a list of exit statuses, each 1 to 255, separated by
// commas: single ones (75) and ranges (75-78). It returns them in order,
// without repeats.
func ParseCodes(s string) ([]int, error) {
	var codes []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		switch {
		case errA != nil || errB != nil:
			return nil, fmt.Errorf("%q is not an exit status or a range such as 75-78", part)
		case a < 1 || b > 255 || a > b:
			return nil, fmt.Errorf("%q: exit statuses are 1 to 255, a range low-high", part)
		}
		for c := a; c <= b; c++ {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes), nil
}

// originalOptions are the long names of the original's options (and ours
// that replace one): only these may be abbreviated, so an abbreviation that
// meant one option to the original means the same one here, whatever
// options are added later.
var originalOptions = map[string]bool{"config": true, "group": true, "help": true, "lease": true,
	"lockname": true, "version": true, "no-lock": true}

// specs derives the parser's table from the wrapper's flags, so that
// help, man pages and parsing stay one list.
func specs(fs *pflag.FlagSet) []getopt.Spec {
	var specs []getopt.Spec
	fs.VisitAll(func(f *pflag.Flag) {
		s := getopt.Spec{Names: []string{f.Name}, Abbrev: originalOptions[f.Name]}
		if f.Shorthand != "" {
			s.Names = append(s.Names, f.Shorthand)
		}
		switch {
		case f.Name == "no-lock":
			// The original's "lock!": --lock, --nolock, --no-lock.
			s.Names, s.Kind = []string{"lock"}, getopt.Negatable
		case f.Value.Type() == "bool":
			s.Kind = getopt.Flag
		case f.Value.Type() == "stringArray":
			s.Kind = getopt.Pair
		case f.NoOptDefVal != "":
			s.Kind, s.Accept = getopt.Optional, acceptDuration
		}
		specs = append(specs, s)
	})
	return specs
}

// acceptDuration decides whether the word after --wait is its value: a
// duration is ("--wait 10s"), anything else is the command. A bare number
// is refused rather than guessed: it is neither a duration nor likely a
// command.
func acceptDuration(next string) (bool, error) {
	if _, err := time.ParseDuration(next); err == nil {
		return true, nil
	}
	if _, err := strconv.ParseFloat(next, 64); err == nil {
		return false, fmt.Errorf("%q is not a duration: give a unit, e.g. %ss (a command named %q needs \"--\" before it)", next, next, next)
	}
	return false, nil
}

// apply sets the parsed options into the flag set, which converts their
// values and records which were given.
func apply(fs *pflag.FlagSet, res *getopt.Result) error {
	for _, opt := range res.Opts {
		name, val := opt.Name, opt.Value
		switch {
		case name == "lock":
			name, val = "no-lock", strconv.FormatBool(opt.Negated)
		case !opt.HasVal:
			val = fs.Lookup(name).NoOptDefVal
			if val == "" {
				val = "true"
			}
		}
		if err := fs.Set(name, val); err != nil {
			if lerr := limitErr(err); lerr != nil {
				return lerr
			}
			return fmt.Errorf("invalid value %q for %s: %w", opt.Value, opt.Written, unwrapFlagErr(err))
		}
	}
	return nil
}

// unwrapFlagErr drops strconv's and time's repetition of the input.
func unwrapFlagErr(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}
