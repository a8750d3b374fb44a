package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/doctor"
	"github.com/acme/switchman/exitcode"
)

// errChecksFailed is doctor's "no": a check failed (exit 1).
var errChecksFailed = errors.New("doctor: a check failed")

func newDoctorCmd(app *App) *cobra.Command {
	var hostname string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check this host's switchman set-up: config, ZooKeeper, prefix, ACLs, groups, clock, cron",
		Long: `doctor checks, one line each with OK, WARN or FAIL and a hint: the config file
(found, readable, valid, not writable by others), ZooKeeper (reachable, its
version, whether its servers create sessions locally, so that a skipped run
costs no transaction: mntr or conf must be allowed), the prefix znode (exists, its ACL and that of its locks), this
host's identity and its groups, the clock offset against ZooKeeper, and
whether a cron daemon runs, and whether a run here gets a cgroup of its own
(and with which controllers) or why not. It exits 1 if any check fails.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			o := doctor.Options{Config: app.Config, Getenv: app.Getenv, Hostname: hostname}
			if doctor.Run(ctx, o, app.Stdout) > 0 {
				return exitcode.Silent(errChecksFailed) // the report said which
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&hostname, "hostname", "", "this host's identity in group data (default: config hostname, else the FQDN)")
	return cmd
}
