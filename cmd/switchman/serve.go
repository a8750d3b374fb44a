package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/job"
)

// serveHelper is the binary behind `switchman serve` (package dashboard):
// the web server and its assets stay out of the binary cron runs.
const serveHelper = "switchman-serve"

// serveListen is --listen's default, loopback only (the helper's own
// default too): the dashboard shows every job's failure output.
const serveListen = "127.0.0.1:9780"

func newServeCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only web dashboard and JSON API of the fleet",
		Long: `serve shows the fleet in a browser: every job with where it runs now, its last
result and duration, halted and paused jobs; per job a timeline of its runs on
each host and its durations against --expected-duration; the failures with the
end of their output; the hosts with their heartbeats. The page follows
ZooKeeper live. JSON: /api/fleet, /api/jobs/NAME, /api/events (server-sent).

It listens on ` + serveListen + ` by default. Any other address needs both
--tls-cert/--tls-key and --basic-auth-file (a user:password file, mode 0600).
It runs the ` + serveHelper + ` helper, installed beside switchman.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			// The helper gets every flag given, each as one --name=value
			// word, and checks what they say.
			args := []string{serveHelper}
			c.Flags().Visit(func(f *pflag.Flag) { args = append(args, "--"+f.Name+"="+f.Value.String()) })
			return execHelper(serveHelper, args)
		},
	}
	f := cmd.Flags()
	f.String("listen", serveListen, "address to listen on (host:port)")
	f.String("tls-cert", "", "serve HTTPS with this certificate (PEM), with --tls-key")
	f.String("tls-key", "", "the certificate's private key (PEM)")
	f.String("basic-auth-file", "", "require HTTP basic auth: a file holding user:password, mode 0600")
	return cmd
}

// execHelper replaces switchman by the helper name, installed beside it,
// with args (args[0] included).
func execHelper(name string, args []string) error {
	path := job.HelperPath(name)
	if path == "" {
		return exitcode.Of(job.ErrNoHelper, "%s is not installed (beside switchman or in %s)", name, job.HelperDir())
	}
	// exec, not a child: signals and the exit status are the helper's own.
	args[0] = path
	err := syscall.Exec(path, args, os.Environ())
	return fmt.Errorf("exec %s: %w", path, err)
}
