package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// killOptions are `switchman kill`'s flags.
type killOptions struct {
	Signal string
	Wait   time.Duration
}

// killMargin is added to the default --wait of `kill`.
const killMargin = 5 * time.Second

func newKillCmd(app *App) *cobra.Command {
	o := &killOptions{}
	cmd := &cobra.Command{
		Use:   "kill LOCKNAME",
		Short: "Ask the holder of a lock, wherever it runs, to stop its job, and wait for it",
		Long: `The holder's switchman sends the signal to the job's process group, SIGKILL
after the grace, and releases the lock only once the job is dead, so no second
instance can start while the first still runs. Exit status: 0 stopped, 1 nobody
held the lock, 75 the job did not stop within --wait.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			sig := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(o.Signal), "SIG"))
			if sig == 0 {
				return usageError{fmt.Errorf("invalid --signal %q: use a name such as TERM, INT or KILL", o.Signal)}
			}
			return runKill(c.Context(), app, o, args[0], sig)
		},
	}
	cmd.Flags().StringVarP(&o.Signal, "signal", "s", "TERM", "signal to send first")
	cmd.Flags().DurationVar(&o.Wait, "wait", 0, "how long to wait for the lock's release (default: termination_timeout + session_timeout + 5s)")
	return cmd
}

func runKill(ctx context.Context, app *App, o *killOptions, name string, sig syscall.Signal) error {
	a, err := dialFleet(ctx, app, app.Config)
	if err != nil {
		return err
	}
	defer a.close()
	holder, token, err := a.client.Store().RequestKill(name, sig, whoAmI(app))
	if errors.Is(err, fleet.ErrNotHeld) {
		return exitcode.Of(fleet.ErrNotHeld, "%s: nobody holds the lock", name)
	}
	if errors.Is(err, fleet.ErrOriginalHolder) {
		// Said at once: waiting for a release that no request can cause
		// would only end in "did not stop".
		return exitcode.Of(fleet.ErrOriginalHolder, "%s is held by the original switchman on %s pid %d, which takes no kill requests: "+
			"stop it there (kill %d: it passes TERM to its command)", name, holder.Host, holder.PID, holder.PID)
	}
	if err != nil {
		return err
	}
	defer a.client.Store().ClearKill(name)
	wait := o.Wait
	if wait <= 0 {
		// The holder sees the request at once (a watch), then allows the
		// grace; a holder cut off from ZooKeeper stops itself before its
		// session can expire. The margin covers a loaded host reaping the
		// job's process group and closing its session.
		wait = a.cfg.TerminationTimeout + a.cfg.SessionTimeout + killMargin
	}
	wctx, cancel := context.WithTimeoutCause(context.Background(), wait, errors.New("timed out"))
	defer cancel()
	start := time.Now()
	if err := a.client.Store().WaitReleased(wctx, name, token); err != nil {
		return exitcode.Of(lock.ErrWaitTimeout, "%s on %s pid %d did not stop within %s: %w", name, holder.Host, holder.PID, wait, err)
	}
	outcome := "released"
	if runs, err := a.client.Store().Runs(name); err == nil {
		for _, r := range runs {
			if r.Host == holder.Host && r.Token == token && r.State == fleet.StateFinished {
				outcome = fmt.Sprintf("%s, exit status %d", r.Result, r.ExitCode)
			}
		}
	}
	fmt.Fprintf(app.Stdout, "%s on %s pid %d stopped after %s: %s\n", name, holder.Host, holder.PID,
		time.Since(start).Round(time.Millisecond), outcome)
	return nil
}

func sortStrings(s []string) { sort.Strings(s) }
