package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/fleet"
)

// checkOptions are the flags of the `check` plugins.
type checkOptions struct {
	Config string
	MaxAge time.Duration
}

// nagios is one plugin result: printed as one line with perfdata, and
// returned as the exit status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
type nagios struct {
	name string
	sev  crontab.Severity
	msg  string
	perf []string
}

func (n nagios) report(app *App) error {
	msg := strings.NewReplacer("|", "(pipe)", "\n", " ").Replace(n.msg)
	line := fmt.Sprintf("SWITCHMAN %s %s - %s", strings.ToUpper(n.name), n.sev, msg)
	if len(n.perf) > 0 {
		line += " | " + strings.Join(n.perf, " ")
	}
	fmt.Fprintln(app.Stdout, line)
	if n.sev == crontab.OK {
		return nil
	}
	return &ExitError{Code: int(n.sev)}
}

// listing says "N things: a, b, c (+M more)" for a problem line.
func listing(items []string) string {
	sort.Strings(items)
	s := strings.Join(items, ", ")
	if len(items) > 5 {
		s = strings.Join(items[:5], ", ") + fmt.Sprintf(" (+%d more)", len(items)-5)
	}
	return s
}

type checkFunc func(a *admin, o *checkOptions, args []string) nagios

func newCheckCmd(app *App) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Nagios checks of the fleet: overdue, failed and stale jobs, silent hosts, undefined groups",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.PersistentFlags().StringVarP(&o.Config, "config", "c", "", "config file")
	add := func(use, short string, args cobra.PositionalArgs, maxAge time.Duration, f checkFunc) {
		c := &cobra.Command{Use: use, Short: short, Args: usageArgs(args),
			RunE: func(c *cobra.Command, a []string) error { return runCheck(c.Context(), app, o, c.Name(), a, f) }}
		if maxAge > 0 {
			c.Flags().DurationVar(&o.MaxAge, "max-age", maxAge, "how old is too old")
		}
		cmd.AddCommand(c)
	}
	add("overdue", "Warn about running jobs past their expected duration", cobra.NoArgs, 0, checkOverdue)
	add("failed", "Warn about jobs whose last run failed or that are halted", cobra.NoArgs, 0, checkFailed)
	add("stale [LOCKNAME...]", "Warn about jobs without a recent success", cobra.ArbitraryArgs, 25*time.Hour, checkStale)
	add("hosts", "Warn about groups with no host seen running switchman lately", cobra.NoArgs, 25*time.Hour, checkHosts)
	add("groups CRONTAB...", "Check that every group the crontabs use exists", cobra.MinimumNArgs(1), 0, checkGroups)
	return cmd
}

func runCheck(ctx context.Context, app *App, o *checkOptions, name string, args []string, f checkFunc) error {
	a, err := dialAdmin(ctx, app, o.Config)
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) && ee.Code == ExitConfig {
			return err
		}
		return nagios{name: name, sev: crontab.Unknown, msg: err.Error()}.report(app)
	}
	defer a.close()
	return f(a, o, args).report(app)
}

func unknown(name string, err error) nagios {
	return nagios{name: name, sev: crontab.Unknown, msg: err.Error()}
}

func checkOverdue(a *admin, _ *checkOptions, _ []string) nagios {
	locks, err := a.store.Locks()
	if err != nil {
		return unknown("overdue", err)
	}
	var late []string
	for _, l := range locks {
		exp, err := time.ParseDuration(l.Info.ExpectedDuration)
		if err != nil || exp <= 0 || l.Info.Start.IsZero() {
			continue
		}
		if ran := time.Since(l.Info.Start); ran > exp {
			late = append(late, fmt.Sprintf("%s on %s running %s > %s", l.Name, l.Info.Host, ran.Round(time.Second), exp))
		}
	}
	n := nagios{name: "overdue", perf: []string{fmt.Sprintf("overdue=%d;;1;0", len(late)), fmt.Sprintf("running=%d;;;0", len(locks))}}
	if len(late) == 0 {
		n.msg = fmt.Sprintf("%d jobs running, none past its expected duration", len(locks))
		return n
	}
	n.sev, n.msg = crontab.Critical, fmt.Sprintf("%d jobs past their expected duration: %s", len(late), listing(late))
	return n
}

func checkFailed(a *admin, _ *checkOptions, _ []string) nagios {
	runs, err := a.store.Runs("")
	if err != nil {
		return unknown("failed", err)
	}
	halts, err := a.store.Halts()
	if err != nil {
		return unknown("failed", err)
	}
	var bad []string
	for _, r := range latestPerJob(runs) {
		// A waiting record keeps the last run's result.
		if (r.State == fleet.StateFinished || r.State == fleet.StateWaiting) && r.Result != "" && r.Result != fleet.ResultSuccess {
			bad = append(bad, fmt.Sprintf("%s on %s: %s (exit %d)", r.Lock, r.Host, r.Result, r.ExitCode))
		}
	}
	for name, h := range halts {
		bad = append(bad, fmt.Sprintf("%s halted since %s (switchman resume %s)", name, h.When.Format(time.RFC3339), name))
	}
	n := nagios{name: "failed", perf: []string{fmt.Sprintf("failed=%d;;1;0", len(bad)), fmt.Sprintf("halted=%d;;1;0", len(halts))}}
	if len(bad) == 0 {
		n.msg = "no job's last run failed"
		return n
	}
	n.sev, n.msg = crontab.Critical, fmt.Sprintf("%d problems: %s", len(bad), listing(bad))
	return n
}

// latestPerJob keeps, per lock, the record of the run that started last
// on any host: the job's last run.
func latestPerJob(runs []fleet.Run) map[string]fleet.Run {
	out := map[string]fleet.Run{}
	for _, r := range runs {
		if cur, ok := out[r.Lock]; !ok || r.Start.After(cur.Start) {
			out[r.Lock] = r
		}
	}
	return out
}

func checkStale(a *admin, o *checkOptions, names []string) nagios {
	runs, err := a.store.Runs("")
	if err != nil {
		return unknown("stale", err)
	}
	success := map[string]time.Time{}
	// first is the oldest start known of a job that never succeeded: a
	// job whose first runs are younger than --max-age is not stale yet.
	first := map[string]time.Time{}
	for _, r := range runs {
		if r.LastSuccess.After(success[r.Lock]) {
			success[r.Lock] = r.LastSuccess
		}
		if f, ok := first[r.Lock]; !ok || r.Start.Before(f) {
			first[r.Lock] = r.Start
		}
	}
	if len(names) == 0 {
		names = sortedKeys(first)
	}
	var stale []string
	for _, name := range names {
		last, seen := success[name], !first[name].IsZero()
		switch {
		case !seen:
			stale = append(stale, name+" never ran")
		case last.IsZero() && time.Since(first[name]) > o.MaxAge:
			stale = append(stale, name+" never succeeded")
		case last.IsZero():
			// first runs still within --max-age: not stale yet
		case time.Since(last) > o.MaxAge:
			stale = append(stale, fmt.Sprintf("%s last succeeded %s ago", name, time.Since(last).Round(time.Second)))
		}
	}
	n := nagios{name: "stale", perf: []string{fmt.Sprintf("stale=%d;;1;0", len(stale)), fmt.Sprintf("jobs=%d;;;0", len(names))}}
	if len(stale) == 0 {
		n.msg = fmt.Sprintf("%d jobs succeeded within %s", len(names), o.MaxAge)
		return n
	}
	n.sev, n.msg = crontab.Critical, fmt.Sprintf("%d of %d jobs stale: %s", len(stale), len(names), listing(stale))
	return n
}

// checkHosts counts a host as alive when a run record of it started or
// finished within --max-age.
func checkHosts(a *admin, o *checkOptions, _ []string) nagios {
	d, err := a.readData()
	if err != nil {
		return unknown("hosts", err)
	}
	runs, err := a.store.Runs("")
	if err != nil {
		return unknown("hosts", err)
	}
	beats, err := a.store.Heartbeats()
	if err != nil {
		return unknown("hosts", err)
	}
	seen := map[string]bool{}
	// A host's heartbeat (written by any switchman run there, at most every
	// ten minutes) or a run record says it is alive.
	for h, at := range beats {
		if time.Since(at) <= o.MaxAge {
			seen[strings.ToLower(strings.TrimSuffix(h, "."))] = true
		}
	}
	for _, r := range runs {
		last := r.Finish
		if r.Start.After(last) {
			last = r.Start
		}
		if time.Since(last) <= o.MaxAge {
			seen[strings.ToLower(strings.TrimSuffix(r.Host, "."))] = true
		}
	}
	var dead []string
	for _, g := range sortedGroups(d) {
		hosts, _ := d.Resolve(g)
		alive := false
		for _, h := range hosts {
			alive = alive || seen[h]
		}
		if !alive {
			dead = append(dead, g)
		}
	}
	n := nagios{name: "hosts", perf: []string{fmt.Sprintf("groups_without_host=%d;;1;0", len(dead)),
		fmt.Sprintf("groups=%d;;;0", len(d.Groups)), fmt.Sprintf("hosts_seen=%d;;;0", len(seen))}}
	if len(dead) == 0 {
		n.msg = fmt.Sprintf("every group has a host seen within %s", o.MaxAge)
		return n
	}
	n.sev, n.msg = crontab.Critical, fmt.Sprintf("%d groups with no host seen within %s: %s", len(dead), o.MaxAge, listing(dead))
	return n
}

// checkGroups is the original's check_switchman_groups: every --group in
// the crontabs is defined.
func checkGroups(a *admin, _ *checkOptions, files []string) nagios {
	d, err := a.readData()
	if err != nil {
		return unknown("groups", err)
	}
	groups := map[string]bool{}
	for g := range d.Groups {
		groups[g] = true
	}
	var rep crontab.Report
	opts := crontab.CheckOptions{Groups: groups, ParseArgs: func(args []string) (string, error) {
		ro, err := parseRunArgs(args)
		if err != nil {
			return "", err
		}
		return ro.Group, nil
	}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return unknown("groups", err)
		}
		rep.CheckFile(f, b, opts)
	}
	rep.Finish()
	n := nagios{name: "groups", sev: rep.Status(), perf: []string{fmt.Sprintf("files=%d;;;0", rep.Files),
		fmt.Sprintf("switchman_lines=%d;;;0", rep.Invocations), fmt.Sprintf("problems=%d;;;0", len(rep.Problems))}}
	n.msg = fmt.Sprintf("%d switchman lines in %d files, every group defined", rep.Invocations, rep.Files)
	if len(rep.Problems) > 0 {
		n.msg = rep.Problems[0].String()
		if len(rep.Problems) > 1 {
			n.msg += fmt.Sprintf(" (+%d more)", len(rep.Problems)-1)
		}
	}
	return n
}
