package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/spf13/cobra"
)

// serveHelper is the binary behind `switchman serve` (package dashboard):
// the web server and its assets stay out of the binary cron runs.
const serveHelper = "switchman-serve"

func newServeCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "serve [--config FILE] [--listen ADDR] [--tls-cert F --tls-key F] [--basic-auth-file F]",
		Short: "Serve a read-only web dashboard and JSON API of the fleet",
		Long: `serve shows the fleet in a browser: every job with where it runs now, its last
result and duration, halted and paused jobs; per job a timeline of its runs on
each host and its durations against --expected-duration; the failures with the
end of their output; the hosts with their heartbeats. The page follows
ZooKeeper live. JSON: /api/fleet, /api/jobs/NAME, /api/events (server-sent).

It listens on ` + "127.0.0.1:9780" + ` by default. Any other address needs both
--tls-cert/--tls-key and --basic-auth-file (a user:password file, mode 0600).
It runs the ` + serveHelper + ` helper, installed beside switchman.`,
		// The helper parses its own flags; switchman only finds it.
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			path := helperPath(serveHelper)
			if path == "" {
				return &ExitError{Code: ExitUnavailable, Err: fmt.Errorf("%s is not installed (beside switchman or in %s)", serveHelper, helperDir())}
			}
			// exec, not a child: signals and the exit status are the
			// helper's own.
			err := syscall.Exec(path, append([]string{path}, args...), os.Environ())
			return &ExitError{Code: ExitSoftware, Err: fmt.Errorf("exec %s: %w", path, err)}
		},
	}
}
