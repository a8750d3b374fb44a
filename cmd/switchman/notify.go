package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/notify"
)

// notifyTestOptions are `switchman notify test`'s flags.
type notifyTestOptions struct {
	Job string
}

func newNotifyCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Work with the notify commands of the config",
	}
	o := &notifyTestOptions{}
	test := &cobra.Command{
		Use:   "test",
		Short: "Send a sample event through each configured notify command",
		Long: `Sends a sample "failed" event, marked "test": true, through each command of the
config's notify list in turn, as a run would (stdin JSON, SWITCHMAN_* variables,
retries within notify_timeout), and says which took it. Exit status: 0 all did,
1 one did not, 78 no notify commands configured.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runNotifyTest(c.Context(), app, o) },
	}
	test.Flags().StringVar(&o.Job, "job", "", "job name the sample event carries (default "+notify.SampleJob+")")
	cmd.AddCommand(test)
	return cmd
}

func runNotifyTest(ctx context.Context, app *App, o *notifyTestOptions) error {
	cfg, err := loadConfig(app, app.Config)
	if err != nil {
		return err
	}
	if len(cfg.Notify) == 0 {
		return noNotifyError(cfg.Path)
	}
	log, closeLog, err := newLogger(app, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	p := notify.Sample(o.Job, cfg.Host(""), cfg.DashboardURL, time.Now())
	failed := 0
	for _, out := range notify.Try(ctx, p, notify.Options{Commands: cfg.Notify, Timeout: cfg.NotifyTimeout, Logger: log}) {
		if out.Err != nil {
			failed++
			fmt.Fprintf(app.Stdout, "FAIL %s: %v\n", out.Command, out.Err)
			continue
		}
		fmt.Fprintf(app.Stdout, "ok   %s\n", out.Command)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d notify commands: %w", failed, len(cfg.Notify), notify.ErrNotDelivered)
	}
	return nil
}

// noNotifyError says the config has no notify commands to test: a config
// error (exit 78), so that a script can tell it from a command that failed.
func noNotifyError(path string) error {
	return &config.FileError{Err: fmt.Errorf("%s: no notify commands: set the key notify to a command or a list of them", path)}
}
