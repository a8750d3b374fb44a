package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/lock"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// App holds what every command shares: its output streams and environment.
type App struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Config is --config as given to an operator command (one persistent
	// flag of the root; a wrapper line parses its own).
	Config string
}

// configUsage is --config's help, for the wrapper and every subcommand.
const configUsage = "config file (default $SWITCHMAN_CONFIG, /etc/switchman.yaml, /etc/switchman.conf)"

// Main runs switchman with args and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	app := &App{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	var err error
	if len(args) > 0 && isSubcommand(args[0]) {
		root := newRootCmd(app)
		if completeRequest(root, args, stdout) {
			return ExitOK
		}
		root.SetArgs(args)
		err = root.Execute()
	} else {
		// A wrapper line: parsed as the original parsed it, so cobra's
		// parser never sees it (it would take a later "status" or "kill"
		// for a subcommand). Nor is the command tree built: a cron run
		// needs none of it.
		err = runWrapper(context.Background(), app, args)
	}
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if !(errors.As(err, &ee) && ee.Err == nil) {
		// One error a line, each marked as ours (several bad METADATA
		// blocks are reported at once, one file:line each).
		msg := err.Error()
		if h := hint(err); h != "" {
			msg += " (" + h + ")"
		}
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintf(stderr, "switchman: %s\n", line)
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "Run 'switchman --help' for usage.")
		}
	}
	return exitCode(err)
}

// hint says what an operator can do about err, naming the command that
// helps; the library packages know no commands.
func hint(err error) string {
	switch {
	case lock.IsAuth(err):
		return "check auth_file, or run `switchman doctor`"
	case errors.Is(err, lock.ErrNoPrefix):
		return "create the prefix znode, e.g. with `switchman groups init`"
	}
	return ""
}

func newRootCmd(app *App) *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "switchman [flags] -- CMD [ARGS...]",
		Short: "Run a cron job only where and when it may, under a fleet-wide ZooKeeper lock",
		Long: `switchman prefixes a crontab line. It runs CMD only if this host belongs to
the group (as ZooKeeper says now), no other instance holds the lock anywhere in
the fleet, and the leases asked for are free. While CMD runs, switchman watches
ZooKeeper and stops CMD (TERM to its process group, KILL after a grace) the
moment that permission is lost.

A run that does not start because the lock is busy or this host is not in the
group exits 0 and prints nothing, so cron stays quiet.`,
		Example: `  # every 5 minutes, on one host of group "reports" at a time
  */5 * * * *  app  switchman --group reports -- /usr/lib/acme/bin/build-report --daily

  # two shards of one script need two lock names
  */2 * * * *  app  switchman -g batch --lockname mod2-rem0 -- /usr/bin/job --mod 2 --rem 0

  # stop the job after an hour; at most 3 jobs at once on the database
  0 * * * *    app  switchman -g etl --timeout 1h --lease db=1:3 -- /usr/bin/etl`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		// Main parses a wrapper line itself (runWrapper); the flags are
		// bound below for help and man pages.
		DisableFlagParsing: true,
		ValidArgsFunction:  completeRunArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return runWrapper(c.Context(), app, args)
		},
	}
	cmd.SetOut(app.Stdout)
	cmd.SetErr(app.Stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	opts.bind(cmd)
	cmd.PersistentFlags().StringVarP(&app.Config, "config", "c", "", configUsage)
	cmd.AddCommand(newDoctorCmd(app))
	cmd.AddCommand(newCrontabCmd(app))
	if docs := newDocsCmd(); docs != nil {
		cmd.AddCommand(docs)
	}
	cmd.SetVersionTemplate("switchman {{.Version}}\n")
	cmd.AddCommand(new(groupsOptions).command(app))
	cmd.AddCommand(newStatusCmd(app))
	cmd.AddCommand(newHistoryCmd(app))
	cmd.AddCommand(newServeCmd(app))
	cmd.AddCommand(newKillCmd(app))
	cmd.AddCommand(newPauseCmd(app))
	cmd.AddCommand(newResumeCmd(app))
	cmd.AddCommand(newCheckCmd(app))
	return cmd
}

// commandNames are the words that, first on the line, name one of
// switchman's own commands rather than a program to run: the subcommands
// of newRootCmd (TestCommandNames keeps the two alike) and cobra's own.
// A table, so that a wrapper line is told apart without building the
// command tree.
var commandNames = append([]string{
	"check", "crontab", "doctor", "groups", "history", "kill", "pause", "resume", "serve", "status",
	"help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd,
}, docsCommandNames...)

// isSubcommand reports whether word names one of switchman's own commands.
// Only the first word of a line can: "switchman -g x status" runs a
// program called status, as it did under the original.
func isSubcommand(word string) bool { return slices.Contains(commandNames, word) }

// runWrapper parses a wrapper line (options and CMD) and runs the job.
// Getopt::Long stops at the first argument when POSIXLY_CORRECT is set,
// so the original did too.
func runWrapper(ctx context.Context, app *App, args []string) error {
	o, _, err := parseRunLine(args, app.Getenv("POSIXLY_CORRECT") != "")
	switch {
	case err != nil:
		return err
	case o.Help:
		return newRootCmd(app).Help()
	case o.Version:
		fmt.Fprintf(app.Stdout, "switchman %s\n", version)
		return nil
	}
	return runJob(ctx, app, o)
}
