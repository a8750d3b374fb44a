package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/nagios"
	"github.com/acme/switchman/status"
)

// checkOptions are the flags of the `check` plugins.
type checkOptions struct {
	MaxAge time.Duration
	skew   time.Duration // the config's slot_skew
}

// reportNagios prints a plugin result's status line and returns its
// state as the exit status (nil for OK).
func reportNagios(app *App, r nagios.Result) error {
	fmt.Fprintln(app.Stdout, r.Line())
	if r.State == nagios.OK {
		return nil
	}
	// The status line is the whole message: nothing more is printed.
	return &exitcode.Error{Code: int(r.State)}
}

// checkFunc is a check: the parts of the fleet it reads, and its verdict on
// them.
type checkFunc struct {
	parts status.Part
	judge func(app *App, snap *status.Snapshot, o *checkOptions, args []string) nagios.Result
}

func newCheckCmd(app *App) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Nagios checks of the fleet: overdue, failed, stale and missed jobs, silent hosts, undefined groups",
		Args:  cobra.NoArgs,
	}
	add := func(use, short string, args cobra.PositionalArgs, maxAge time.Duration, f checkFunc) {
		c := &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(c *cobra.Command, a []string) error { return runCheck(c.Context(), app, o, c.Name(), a, f) }}
		if maxAge > 0 {
			c.Flags().DurationVar(&o.MaxAge, "max-age", maxAge, "how old is too old")
		}
		cmd.AddCommand(c)
	}
	add("overdue", "Warn about running jobs past their expected duration", cobra.NoArgs, 0, checkOverdue)
	add("failed", "Warn about jobs whose last run failed or that are halted", cobra.NoArgs, 0, checkFailed)
	add("stale [LOCKNAME...]", "Warn about jobs without a success since their last due slot (a job without a recorded schedule: within --max-age)", cobra.ArbitraryArgs, 25*time.Hour, checkStale)
	add("hosts", "Warn about groups with no host seen running switchman lately", cobra.NoArgs, 25*time.Hour, checkHosts)
	add("missed", "Warn about scheduled jobs whose last due slot ran on no host", cobra.NoArgs, 0, checkMissed)
	add("groups CRONTAB...", "Check that every group the crontabs use exists", cobra.MinimumNArgs(1), 0, checkGroups)
	return cmd
}

func runCheck(ctx context.Context, app *App, o *checkOptions, name string, args []string, f checkFunc) error {
	a, err := dialFleet(ctx, app, app.Config)
	if err != nil {
		var ee *exitcode.Error
		if errors.As(err, &ee) && ee.Code == exitcode.Config {
			return err
		}
		return reportNagios(app, nagios.UnknownResult(checkService(name), err))
	}
	defer a.close()
	o.skew = a.cfg.SlotSkew
	snap, err := status.Read(a.client.Store(), "", f.parts)
	if err != nil {
		return reportNagios(app, nagios.UnknownResult(checkService(name), err))
	}
	res := f.judge(app, snap, o, args)
	// Reminders, overdue runs and missed slots this check saw are told,
	// once fleet-wide, by whoever notices them first.
	job.Noticer{Store: a.client.Store(), Config: a.cfg, Logger: a.log}.Check(ctx, name, snap, time.Now())
	return reportNagios(app, res)
}

// checkService is the service name a check's status line starts with.
func checkService(name string) string { return "SWITCHMAN " + strings.ToUpper(name) }

var (
	checkOverdue = checkFunc{status.Locks, func(_ *App, snap *status.Snapshot, _ *checkOptions, _ []string) nagios.Result {
		return nagios.Overdue(snap.Locks, time.Now())
	}}
	checkFailed = checkFunc{status.Runs | status.Halts, func(_ *App, snap *status.Snapshot, _ *checkOptions, _ []string) nagios.Result {
		return nagios.Failed(snap.Runs, snap.Halted)
	}}
	checkStale = checkFunc{status.Runs | status.Slots, func(_ *App, snap *status.Snapshot, o *checkOptions, names []string) nagios.Result {
		return nagios.Stale(snap.Runs, names, o.MaxAge, time.Now(), snap.DueSlots(time.Now(), o.skew), o.skew)
	}}
	checkHosts = checkFunc{status.Groups | status.Runs | status.Heartbeats,
		func(_ *App, snap *status.Snapshot, o *checkOptions, _ []string) nagios.Result {
			return nagios.Hosts(snap.Data, snap.Runs, snap.Heartbeats, o.MaxAge, time.Now())
		}}
	checkMissed = checkFunc{status.Slots, func(_ *App, snap *status.Snapshot, o *checkOptions, _ []string) nagios.Result {
		late, bad := snap.Missed(time.Now(), o.skew)
		return nagios.Missed(late, bad, len(snap.Scheduled))
	}}
	// checkGroups is the original's check_switchman_groups: every --group
	// in the crontabs is defined. It is `crontab check --zk` under the
	// checks' name, with a config and session of its own.
	checkGroups = checkFunc{status.Groups, func(app *App, snap *status.Snapshot, _ *checkOptions, files []string) nagios.Result {
		rep, err := checkCrontabs(app, files, crontab.FormatAuto, snap.Data.GroupSet(), false)
		if err != nil {
			return nagios.UnknownResult(checkService("groups"), err)
		}
		return rep.Result(checkService("groups"))
	}}
)
