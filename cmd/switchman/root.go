package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/skewclock"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/lock"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// App holds what every command shares: its standard streams and
// environment. (An editor that `groups edit` starts, and a wrapper run's
// child, get the process's own terminal and environment.)
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
	// Config is --config as given to an operator command (one persistent
	// flag of the root; a wrapper line parses its own).
	Config string
}

// Main runs switchman with args and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	app := &App{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	var err error
	ran := "" // the command that ran: "" for a wrapper line
	if cmdline.CommandAt(args, commandNames) >= 0 {
		root := newRootCmd(app)
		if completeRequest(root, args, stdout) {
			return exitcode.OK
		}
		var c *cobra.Command
		c, err = execute(root, args)
		if c != nil && c != root {
			ran = strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		}
	} else {
		// A wrapper line: parsed as the original parsed it, so cobra's
		// parser never sees it (it would take a later "status" or "kill"
		// for a subcommand). Nor is the command tree built: a cron run
		// needs none of it.
		err = runWrapper(context.Background(), app, args)
	}
	if err == nil {
		return exitcode.OK
	}
	if !exitcode.IsSilent(err) {
		// One error a line, each marked as ours (several bad METADATA
		// blocks are reported at once, one file:line each).
		msg := err.Error()
		if h := hint(err, ran); h != "" {
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
// helps unless that command is ran, the one that just failed; the library
// packages know no commands.
func hint(err error, ran string) string {
	switch {
	case lock.IsAuth(err) && ran == "doctor":
		return "check auth_file"
	case lock.IsAuth(err):
		return "check auth_file, or run `switchman doctor`"
	case errors.Is(err, lock.ErrNoPrefix) && ran != "groups init":
		return "create the prefix znode, e.g. with `switchman groups init`"
	}
	return ""
}

// execute runs the command that args name and returns it with its error.
// A word after a command group (check, crontab, groups) that names none of
// its commands is a usage error: cobra would print the group's help and
// exit 0, which a Nagios configuration reads as OK.
func execute(root *cobra.Command, args []string) (*cobra.Command, error) {
	if c, rest, err := root.Find(args); err == nil && c != root && c.HasSubCommands() && !c.Runnable() {
		if word := strayWord(c, rest); word != "" {
			return c, usageError{fmt.Errorf("unknown command %q for %q", word, c.CommandPath())}
		}
	}
	root.SetArgs(args)
	return root.ExecuteC()
}

// strayWord returns the first argument left for the group c once its flags
// are read, or "" (also for a bad flag, cobra's to report, and for --help).
func strayWord(c *cobra.Command, args []string) string {
	c.InitDefaultHelpFlag()
	if c.ParseFlags(args) != nil {
		return ""
	}
	if help, _ := c.Flags().GetBool("help"); help {
		return ""
	}
	return c.Flags().Arg(0)
}

func newRootCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "switchman [flags] -- CMD [ARGS...]",
		Short: "Run a cron job only where and when it may, under a fleet-wide ZooKeeper lock",
		Long: `switchman prefixes a crontab line. It runs CMD only if this host belongs to
the group (as ZooKeeper says now), no other instance holds the lock anywhere in
the fleet, and the leases asked for are free. While CMD runs, switchman watches
ZooKeeper and stops CMD (TERM to its process group, KILL after a grace) the
moment that permission is lost.

A run that does not start because the lock is busy or this host is not in the
group exits 0 and prints nothing, so cron stays quiet.

A word that names one of switchman's commands (status, kill, groups, ...) is
that command when it comes first or after -c/--config FILE only:
"switchman -c FILE status". After any other option, or after "--", it is the
program to run, as under the original tool: "switchman -g x status" and
"switchman -c FILE -- status" run a program called status.`,
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
	new(cmdline.Options).Bind(cmd.Flags())
	cmd.PersistentFlags().StringVarP(&app.Config, "config", "c", "", cmdline.ConfigUsage)
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
	cmd.AddCommand(newCatchUpCmd(app))
	cmd.AddCommand(newNotifyCmd(app))
	usageArgsAll(cmd)
	return cmd
}

// usageArgs makes a wrong number of arguments a usage error (exit 64).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// usageArgsAll makes a wrong number of arguments, to any command of the
// tree below c, a usage error (exit 64), as a bad flag is.
func usageArgsAll(c *cobra.Command) {
	if c.Args != nil {
		c.Args = usageArgs(c.Args)
	}
	for _, sub := range c.Commands() {
		usageArgsAll(sub)
	}
}

// commandNames are the words that name one of switchman's own commands
// rather than a program to run (where, cmdline.CommandAt says): the
// subcommands of newRootCmd (TestCommandNames keeps the two alike) and
// cobra's own. A table, so that a wrapper line is told apart without
// building the command tree.
var commandNames = append(append([]string{cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd},
	cmdline.Commands...), docsCommandNames...)

// runWrapper parses a wrapper line (options and CMD) and runs the job.
// Getopt::Long stops at the first argument when POSIXLY_CORRECT is set,
// so the original did too.
func runWrapper(ctx context.Context, app *App, args []string) error {
	o, err := cmdline.Parse(args, app.Getenv("POSIXLY_CORRECT") != "")
	switch {
	case err != nil:
		return usageError{err}
	case o.Help:
		return newRootCmd(app).Help()
	case o.Version:
		fmt.Fprintf(app.Stdout, "switchman %s\n", version)
		return nil
	}
	job.PauseGC(app.Getenv)
	cfg, err := loadConfig(app, o.Config)
	if err != nil {
		return err
	}
	log, _, err := newLogger(app, cfg) // the process exits right after the run; the OS closes the log
	if err != nil {
		return err
	}
	return job.Run(ctx, job.Env{Stderr: app.Stderr, Getenv: app.Getenv, Version: version, Now: skewclock.Now(app.Getenv)}, cfg, log, o)
}
