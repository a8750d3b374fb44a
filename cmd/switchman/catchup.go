package main

import (
	"os/user"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/catchup"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/internal/skewclock"
	"github.com/acme/switchman/job"
)

// catchUpOptions are `switchman catch-up`'s flags.
type catchUpOptions struct {
	CronDir string
}

func newCatchUpCmd(app *App) *cobra.Command {
	o := &catchUpOptions{}
	cmd := &cobra.Command{
		Use:   "catch-up [NAME...]",
		Short: "Run, once, the latest missed slot of each cron.d line with --catch-up",
		Long: `Reads the switchman lines of the cron.d files and, for each line with
--catch-up WINDOW, runs the latest slot within WINDOW that no host claimed (the
host was down, cron dead, ZooKeeper unreachable) through the normal run path:
group, lock, slot claim, leases, records. Only the latest missed slot runs,
never a backlog. It also records the schedule of every line with --schedule,
for 'switchman check missed'. Lines of another user than the one running
catch-up are not run. With NAMEs, only those files of the directory are read
(the entry 'crontab generate' writes names its own file).`,
		RunE: func(c *cobra.Command, names []string) error {
			cfg, err := loadConfig(app, app.Config)
			if err != nil {
				return err
			}
			log, closeLog, err := newLogger(app, cfg)
			if err != nil {
				return err
			}
			defer closeLog()
			now := skewclock.Now(app.Getenv) // nil but in the soak's build
			opts := catchup.Options{Dir: o.CronDir, Files: names, User: currentUser(), Now: now,
				Load: func(path string) (*config.Config, error) { return loadConfig(app, path) },
				Env:  job.Env{Stderr: app.Stderr, Getenv: app.Getenv, Version: version, Now: now}}
			_, err = catchup.Run(c.Context(), opts, log)
			return err
		},
	}
	cmd.Flags().StringVar(&o.CronDir, "cron-dir", catchup.DefaultDir, "the cron.d directory whose switchman lines are caught up")
	return cmd
}

// currentUser is the name of the user switchman runs as, "" when unknown.
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}
