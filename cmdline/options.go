package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/internal/getopt"
)

// runOptions are the wrapper's command line.
type runOptions struct {
	Config     string
	Group      string
	LockName   string
	NoLock     bool
	Timeout    time.Duration
	Hostname   string
	SkipCode   int
	Leases     []string
	Wait       time.Duration
	WaitForced bool // --wait given: queue for a busy lock instead of skipping
	// HaltOnFailure stops later runs after a failed one until `switchman resume`.
	HaltOnFailure bool
	// ExpectedDuration is stored with the lock for `switchman check overdue`.
	ExpectedDuration time.Duration
	// MinInterval: start at most once per this across the fleet.
	MinInterval time.Duration
	// Command is the command as given; Argv is what is executed (a single
	// word with shell syntax runs through /bin/sh, as the original's
	// Perl exec does).
	Command []string
	Argv    []string
	// Help and Version: -h or -v was given (the rest is not validated).
	Help, Version bool
}

// unsetCode marks --skipped-exit-code as not given (the config decides).
const unsetCode = -1

func (o *runOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", configUsage)
	f.StringVarP(&o.Group, "group", "g", "", "run only on hosts of this group (from the prefix znode's group data)")
	f.StringVar(&o.LockName, "lockname", "", "lock name (default: the basename of CMD)")
	f.BoolVar(&o.NoLock, "no-lock", false, "take no lock: run on every host of the group (also --nolock; --lock undoes it)")
	f.DurationVar(&o.Timeout, "timeout", 0, "stop CMD (TERM, then KILL after the grace) when it runs longer, and exit 124")
	f.StringVar(&o.Hostname, "hostname", "", "this host's identity in group data (default: config hostname, else the FQDN)")
	f.IntVar(&o.SkipCode, "skipped-exit-code", 0, "exit status when the run is skipped: lock busy or host not in group (default: config skipped_exit_code, else 0)")
	f.StringArrayVar(&o.Leases, "lease", nil, "lease COUNT of TOTAL of a shared RESOURCE before running: RESOURCE=COUNT:TOTAL (repeatable)")
	f.DurationVar(&o.Wait, "wait", 0, "when the lock is busy, queue for it fairly and run when free, up to this long (0: no limit)")
	f.Lookup("wait").NoOptDefVal = "0s"
	f.BoolVar(&o.HaltOnFailure, "halt-on-failure", false, "after a failed run, start no further run until 'switchman resume LOCKNAME'")
	f.DurationVar(&o.MinInterval, "min-interval", 0, "start at most once per this long across the fleet (ZooKeeper's clock); a start within it is skipped")
	f.DurationVar(&o.ExpectedDuration, "expected-duration", 0, "how long a run should take; 'switchman check overdue' reports runs past it")
}

// complete validates the parsed flags and takes the command from args.
func (o *runOptions) complete(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return errors.New("no command given: switchman [flags] -- CMD [ARGS...]")
	}
	o.Command = args
	o.Argv = execArgv(args)
	o.WaitForced = cmd.Flags().Changed("wait")
	if !cmd.Flags().Changed("skipped-exit-code") {
		o.SkipCode = unsetCode
	}
	// The original's "lockname ||= basename(CMD)": an empty name, and
	// Perl's other false string "0", mean the default.
	if o.LockName == "" || o.LockName == "0" {
		o.LockName = filepath.Base(args[0])
	}
	if err := config.ValidateNodeName(o.LockName); err != nil {
		return fmt.Errorf("invalid lock name: %w", err)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("invalid --timeout %s: must not be negative", o.Timeout)
	}
	if o.MinInterval < 0 {
		return fmt.Errorf("invalid --min-interval %s: must not be negative", o.MinInterval)
	}
	if o.ExpectedDuration < 0 {
		return fmt.Errorf("invalid --expected-duration %s: must not be negative", o.ExpectedDuration)
	}
	if o.HaltOnFailure && o.NoLock {
		return errors.New("--halt-on-failure needs the lock's name and cannot be combined with --no-lock")
	}
	if o.Wait < 0 {
		return fmt.Errorf("invalid --wait %s: must not be negative", o.Wait)
	}
	if o.Hostname != "" {
		if err := config.ValidateHostname(o.Hostname); err != nil {
			return fmt.Errorf("invalid --hostname: %w", err)
		}
	}
	// An empty --group (typically --group "$G" with G unset in a crontab)
	// must not mean "no group": that would run the job on every host.
	if cmd.Flags().Changed("group") && o.Group == "" {
		return errors.New(`empty --group: give a group name, or leave out --group to run on every host`)
	}
	if o.Group != "" {
		if err := config.ValidateGroupName(o.Group); err != nil {
			return fmt.Errorf("invalid --group: %w", err)
		}
	}
	if o.SkipCode != unsetCode && (o.SkipCode < 0 || o.SkipCode > 255) {
		return fmt.Errorf("invalid --skipped-exit-code %d: must be 0 to 255", o.SkipCode)
	}
	if o.NoLock && o.WaitForced {
		return errors.New("--wait queues for the lock and cannot be combined with --no-lock")
	}
	return validateLeaseFlags(o.Leases)
}

// parseRunArgs parses a wrapper command line (everything after the word
// "switchman", including "-- CMD ARGS") exactly as a run would, without
// running anything. The crontab checker uses it.
func parseRunArgs(args []string) (*runOptions, error) {
	o, _, err := parseRunLine(args, false)
	return o, err
}

// parseRunLine parses a wrapper command line as the original did (Perl's
// Getopt::Long, see package getopt): switchman's options anywhere on the
// line until "--", long names abbreviated or with one dash, --lock,
// --nolock and --no-lock. posix is POSIXLY_CORRECT in the environment,
// which makes Getopt::Long stop at the first argument. It also returns
// the parse, whose notes say which of those rules the line relied on.
// -h and -v come back as Help and Version, without validation.
func parseRunLine(args []string, posix bool) (*runOptions, *getopt.Result, error) {
	o := &runOptions{}
	cmd := &cobra.Command{Version: version}
	o.bind(cmd)
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	res, err := getopt.Parse(runSpecs(cmd.Flags()), args, getopt.Config{POSIX: posix})
	if err != nil {
		return nil, nil, usageError{err}
	}
	if err := o.apply(cmd.Flags(), res); err != nil {
		return nil, res, usageError{err}
	}
	if o.Help || o.Version {
		return o, res, nil
	}
	if err := o.complete(cmd, res.Args); err != nil {
		return nil, res, usageError{err}
	}
	return o, res, nil
}

// originalOptions are the long names of the original's options (and ours
// that replace one): only these may be abbreviated, so an abbreviation that
// meant one option to the original means the same one here, whatever
// options are added later.
var originalOptions = map[string]bool{"config": true, "group": true, "help": true, "lease": true,
	"lockname": true, "version": true, "no-lock": true}

// runSpecs derives the parser's table from the wrapper's flags, so that
// help, man pages and parsing stay one list.
func runSpecs(fs *pflag.FlagSet) []getopt.Spec {
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
func (o *runOptions) apply(fs *pflag.FlagSet, res *getopt.Result) error {
	for _, opt := range res.Opts {
		name, val := opt.Name, opt.Value
		switch {
		case name == "lock":
			name, val = "no-lock", strconv.FormatBool(opt.Negated)
		case name == "help":
			o.Help = true
			continue
		case name == "version":
			o.Version = true
			continue
		case !opt.HasVal:
			val = fs.Lookup(name).NoOptDefVal
			if val == "" {
				val = "true"
			}
		}
		if err := fs.Set(name, val); err != nil {
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
