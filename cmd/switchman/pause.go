package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
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
	cmd := &cobra.Command{
		Use:   "pause LOCKNAME|--group GROUP",
		Short: "Stop a job (or every job of a group) from starting anywhere until resumed",
		Long: `A paused job does not start on any host (an info log line, exit 0) until
"switchman resume". Running instances are left alone unless --stop is given.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			marker, err := o.target(args)
			if err != nil {
				return usageError{err}
			}
			return runPause(c.Context(), app, o, marker, args)
		},
	}
	cmd.Flags().StringVarP(&o.Group, "group", "g", "", "pause every job run with --group GROUP")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why, shown by status")
	cmd.Flags().BoolVar(&o.Stop, "stop", false, "also stop the running instances (as `switchman kill`)")
	return cmd
}

func runPause(ctx context.Context, app *App, o *pauseOptions, marker string, args []string) error {
	a, err := dialFleet(ctx, app, app.Config)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.store.SetPause(marker, fleet.Pause{Who: whoAmI(app), When: time.Now().UTC(), Reason: o.Reason}); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "%s paused\n", marker)
	if !o.Stop {
		return nil
	}
	var names []string
	if len(args) == 1 {
		names = args
	} else {
		locks, err := a.store.Locks()
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
		err := runKill(ctx, app, &killOptions{}, n, syscall.SIGTERM)
		if err != nil && exitCode(err) != ExitFailed {
			fmt.Fprintf(app.Stderr, "switchman: %v\n", err)
			failed = &ExitError{Code: exitCode(err)}
		}
	}
	return failed
}

func newResumeCmd(app *App) *cobra.Command {
	o := &pauseOptions{}
	cmd := &cobra.Command{
		Use:   "resume LOCKNAME|--group GROUP",
		Short: "Undo a pause, or a halt after a failed run (--halt-on-failure)",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
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
			paused, err := a.store.ClearPause(marker)
			if err != nil {
				return err
			}
			halted := false
			if len(args) == 1 {
				if halted, err = a.store.ClearHalt(args[0]); err != nil {
					return err
				}
			}
			if paused || halted {
				fmt.Fprintf(app.Stdout, "%s resumed: its next run starts as scheduled\n", marker)
			} else {
				fmt.Fprintf(app.Stdout, "%s was neither paused nor halted\n", marker)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.Group, "group", "g", "", "resume every job run with --group GROUP")
	return cmd
}
