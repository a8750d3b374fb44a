package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
)

// pauseOptions are the flags of `pause` and `resume`.
type pauseOptions struct {
	Group  string
	Reason string
	Stop   bool
}

// target checks NAME|--group and returns the marker name.
func (o *pauseOptions) target(args []string) (string, error) {
	switch {
	case len(args) == 1 && o.Group == "":
		return fleet.PauseName(args[0], ""), config.ValidateNodeName(args[0])
	case len(args) == 0 && o.Group != "":
		return fleet.PauseName("", o.Group), config.ValidateGroupName(o.Group)
	}
	return "", errors.New("give either a LOCKNAME or --group GROUP")
}

func newPauseCmd(app *App) *cobra.Command {
	o := &pauseOptions{}
	cmd := pauseCmd(app, o, "pause", "Stop a job (or every job of a group) from starting anywhere until resumed", runPause)
	cmd.Long = `A paused job does not start on any host (an info log line, exit 0) until
"switchman resume". Running instances are left alone unless --stop is given.`
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why, shown by status")
	cmd.Flags().BoolVar(&o.Stop, "stop", false, "also stop the running instances (as `switchman kill`)")
	return cmd
}

func runPause(ctx context.Context, a *admin, o *pauseOptions, marker string, args []string) error {
	if err := a.client.Store().SetPause(marker, fleet.Pause{Who: whoAmI(a.app), When: time.Now().UTC(), Reason: o.Reason}); err != nil {
		return err
	}
	fmt.Fprintf(a.app.Stdout, "%s paused\n", marker)
	if !o.Stop {
		return nil
	}
	var names []string
	if len(args) == 1 {
		names = args
	} else {
		locks, err := a.client.Store().Locks()
		if err != nil {
			return err
		}
		for _, l := range locks {
			if l.Info.Group == o.Group {
				names = append(names, l.Name)
			}
		}
	}
	var failed error
	for _, n := range names {
		err := runKill(ctx, a.app, &killOptions{}, n, syscall.SIGTERM)
		if err != nil && exitCode(err) != exitcode.Failed {
			fmt.Fprintf(a.app.Stderr, "switchman: %v\n", err)
			failed = &exitcode.Error{Code: exitCode(err)}
		}
	}
	return failed
}

func newResumeCmd(app *App) *cobra.Command {
	return pauseCmd(app, &pauseOptions{}, "resume", "Undo a pause, or a halt after a failed run (--halt-on-failure)", runResume)
}

// pauseCmd builds pause or resume (verb): both act on LOCKNAME or, with
// --group, on every job of a group, through the marker o.target names, and
// run on the fleet's session.
func pauseCmd(app *App, o *pauseOptions, verb, short string,
	run func(ctx context.Context, a *admin, o *pauseOptions, marker string, args []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   verb + " LOCKNAME|--group GROUP",
		Short: short,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			marker, err := o.target(args)
			if err != nil {
				return usageError{err}
			}
			a, err := dialFleet(c.Context(), app, app.Config)
			if err != nil {
				return err
			}
			defer a.close()
			return run(c.Context(), a, o, marker, args)
		},
	}
	cmd.Flags().StringVarP(&o.Group, "group", "g", "", verb+" every job run with --group GROUP")
	return cmd
}

func runResume(_ context.Context, a *admin, _ *pauseOptions, marker string, args []string) error {
	paused, err := a.client.Store().ClearPause(marker)
	if err != nil {
		return err
	}
	halted := false
	if len(args) == 1 {
		if halted, err = a.client.Store().ClearHalt(args[0]); err != nil {
			return err
		}
	}
	if paused || halted {
		fmt.Fprintf(a.app.Stdout, "%s resumed: its next run starts as scheduled\n", marker)
	} else {
		fmt.Fprintf(a.app.Stdout, "%s was neither paused nor halted\n", marker)
	}
	return nil
}
