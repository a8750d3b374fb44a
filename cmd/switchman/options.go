package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
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
	Command     []string
}

// unsetCode marks --skipped-exit-code as not given (the config decides).
const unsetCode = -1

func (o *runOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Config, "config", "c", "", "config file (default $SWITCHMAN_CONFIG, /etc/switchman.yaml, /etc/switchman.conf)")
	f.StringVarP(&o.Group, "group", "g", "", "run only on hosts of this group (from the prefix znode's group data)")
	f.StringVar(&o.LockName, "lockname", "", "lock name (default: the basename of CMD)")
	f.BoolVar(&o.NoLock, "no-lock", false, "take no lock: run on every host of the group")
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
	o.WaitForced = cmd.Flags().Changed("wait")
	if !cmd.Flags().Changed("skipped-exit-code") {
		o.SkipCode = unsetCode
	}
	if o.LockName == "" && !cmd.Flags().Changed("lockname") {
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
	o := &runOptions{}
	cmd := &cobra.Command{}
	cmd.Flags().SetInterspersed(false)
	o.bind(cmd)
	if err := cmd.Flags().Parse(args); err != nil {
		return nil, usageError{err}
	}
	if err := o.complete(cmd, cmd.Flags().Args()); err != nil {
		return nil, usageError{err}
	}
	return o, nil
}
