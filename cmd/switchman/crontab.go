package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/crontabgen"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/nagios"
)

// newCrontabCmd builds `switchman crontab`: generate cron.d files from
// METADATA blocks, and check crontabs (a Nagios plugin).
func newCrontabCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "crontab",
		Short: "Generate cron.d files from METADATA in scripts, and check crontabs",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newCrontabGenerateCmd(app), newCrontabCheckCmd(app))
	return cmd
}

// crontabGenerateOptions are the flags of `crontab generate`.
type crontabGenerateOptions struct {
	gen   crontabgen.Options
	out   string
	check bool
}

func newCrontabGenerateCmd(app *App) *cobra.Command {
	o := &crontabGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate [flags] PATH...",
		Short: "Write one cron.d file per package from the METADATA blocks of scripts",
		Long: `generate reads the METADATA blocks (<crontab> ... </crontab>, in POD, # or //
comments) of every file in PATH (directories recursively, hidden ones
skipped) and writes one cron.d file per package, each job a line that runs
the script through switchman. Every problem of every file is reported, one
"file:line: message" a line, and then nothing is written.

Files are written atomically (temporary file, fsync, rename). With --check
nothing is written: the files in --out are compared with what would be
generated, a diff is printed, and the exit status is non-zero when they
differ (for CI and package builds). Without --out the files are printed.

With --format systemd, each job becomes a oneshot .service running the same
switchman command and a .timer whose OnCalendar= fires at exactly the
minutes of its schedule; a schedule no calendar event expresses (@reboot,
day of month and day of week both restricted) is an error.

With --config FILE (or $SWITCHMAN_CONFIG), its splay key is written as
--splay into the jobs of blocks without a splay key of their own; the
default config files are not read.`,
		Example: `  # in debian/rules: debian/scripts2.cron.d, installed by dh_installcron
  switchman crontab generate --package scripts2 --install-dir /usr/lib/scripts2 \
      --debhelper --out debian bin/

  # systemd units for /lib/systemd/system, installed by dh_install + dh_installsystemd
  switchman crontab generate --package scripts2 --install-dir /usr/lib/scripts2 \
      --format systemd --out debian/units bin/

  # in CI: fail when the committed files are stale
  switchman crontab generate --install-dir /usr/lib/scripts2 --out cron.d --check bin/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return usageError{err}
			}
			return runCrontabGenerate(app, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.gen.Package, "package", "", "package of blocks that name none")
	f.StringVar(&o.gen.InstallDir, "install-dir", "", "absolute directory where the package installs the scripts (default: their absolute source paths)")
	f.StringVar(&o.out, "out", "", "directory to write the files into (default: print them)")
	f.Var(&o.gen.Format, "format", "cron: one cron.d file per package; systemd: a .service and a .timer per job")
	f.BoolVar(&o.check, "check", false, "write nothing; print a diff and fail when the files in --out differ")
	f.BoolVar(&o.gen.Debhelper, "debhelper", false, "name files PACKAGE.cron.d, for dh_installcron (debian/PACKAGE.cron.d)")
	f.StringVar(&o.gen.User, "user", crontabgen.DefaultUser, "user of jobs whose block sets none")
	f.StringVar(&o.gen.Switchman, "switchman", crontabgen.DefaultSwitchman, "absolute path of switchman on the hosts")
	f.StringVar(&o.gen.Shell, "shell", "/bin/sh", `SHELL line of each file ("" for none)`)
	f.StringVar(&o.gen.Path, "path", "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin", `PATH line of each file ("" for none)`)
	return cmd
}

// validate checks the flags that name places, before any script is read.
func (o *crontabGenerateOptions) validate() error {
	if o.check && o.out == "" {
		return errors.New("--check compares with the files in --out: give --out")
	}
	if o.gen.InstallDir != "" && !path.IsAbs(o.gen.InstallDir) {
		return fmt.Errorf("--install-dir %q is not absolute: give the directory the package installs the scripts in, e.g. /usr/lib/PACKAGE", o.gen.InstallDir)
	}
	if o.out != "" {
		if st, err := os.Stat(o.out); err != nil || !st.IsDir() {
			return fmt.Errorf("--out %q is not an existing directory", o.out)
		}
	}
	return nil
}

// runCrontabGenerate generates the files from the scripts in paths, then
// writes, checks or prints them.
func runCrontabGenerate(app *App, o *crontabGenerateOptions, paths []string) error {
	// Only a config given on purpose sets the fleet-wide splay: a
	// package build must not depend on the build host's /etc.
	if app.Config != "" || app.Getenv(config.EnvVar) != "" {
		cfg, err := loadConfig(app, app.Config)
		if err != nil {
			return err
		}
		o.gen.Splay = cfg.Splay
	}
	files, err := crontabgen.Generate(paths, o.gen)
	if err != nil {
		return err
	}
	switch {
	case o.check:
		return crontabgen.Check(o.out, files, app.Stdout)
	case o.out != "":
		return crontabgen.Write(o.out, files)
	}
	for i := range files {
		if _, err := files[i].WriteTo(app.Stdout); err != nil {
			return err
		}
	}
	return nil
}

// crontabCheckOptions are the flags of `crontab check`.
type crontabCheckOptions struct {
	zk      bool
	format  string
	verbose bool
	// original: also warn about lines the original tool would refuse.
	original bool
}

func newCrontabCheckCmd(app *App) *cobra.Command {
	var o crontabCheckOptions
	cmd := &cobra.Command{
		Use:   "check [flags] FILE...",
		Short: "Check the switchman lines of crontabs and cron.d files (a Nagios plugin)",
		Long: `check parses crontabs and cron.d files, finds every switchman invocation
(also behind env assignments, nice, flock, ... and after && or ;), and checks
that its flags parse as a run would parse them; with --zk, also that every
--group is defined in the prefix znode's group data.

It prints one Nagios status line with performance data (-v adds one line per
problem) and exits 0 OK, 1 WARNING (a line that does not invoke switchman is
broken, a cron.d file cron ignores, no switchman line at all), 2 CRITICAL (a
switchman line that would not run as meant) or 3 UNKNOWN (unreadable file,
ZooKeeper unreachable, bad usage).

Files in a directory named cron.d, /etc/crontab and *.cron.d have a user
field; other files are users' crontabs, unless all their switchman lines
have a user before the command. --format overrides that.

A line whose meaning rests on the original switchman's reading of it (no
"--" before the command, an option after it, an abbreviated or one-dash
option, a one-word command run through /bin/sh or split at blanks, a first
word that is a subcommand here) is a WARNING, with the line rewritten so
that both tools read it alike. With --original, so is a line using options
the original does not know (it would refuse the line): for a fleet that
runs both tools while it converts.`,
		Example: `  switchman crontab check --zk /etc/crontab /etc/cron.d/*
  switchman crontab check -v /var/spool/cron/crontabs/app`,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			return runCrontabCheck(app, &o, args)
		},
	}
	// Nagios reads the exit status: a bad flag is UNKNOWN (3), not a
	// usage error's code.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return nagiosUnknown(app, err)
	})
	f := cmd.Flags()
	f.BoolVar(&o.zk, "zk", false, "check that every --group exists in ZooKeeper")
	f.StringVar(&o.format, "format", "auto", "auto, system (TIME USER COMMAND) or user (TIME COMMAND)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "after the status line, print every problem on its own line")
	f.BoolVar(&o.original, "original", false, "also warn about lines the original switchman would refuse (this tool's own options)")
	return cmd
}

// runCrontabCheck checks files, prints the Nagios status line and returns
// an *exitcode.Error with the plugin's exit code unless everything is OK.
func runCrontabCheck(app *App, o *crontabCheckOptions, files []string) error {
	format, err := parseCrontabFormat(o.format)
	if err != nil {
		return nagiosUnknown(app, err)
	}
	if len(files) == 0 {
		return nagiosUnknown(app, errors.New("no files given: switchman crontab check FILE..."))
	}
	var groups map[string]bool
	if o.zk {
		if groups, err = zkGroups(app, app.Config); err != nil {
			return nagiosUnknown(app, fmt.Errorf("read groups from ZooKeeper: %w", err))
		}
	}
	r, err := checkCrontabs(app, files, format, groups, o.original)
	if err != nil {
		return nagiosUnknown(app, err)
	}
	fmt.Fprintln(app.Stdout, r.Summary())
	if o.verbose {
		for _, p := range r.Problems {
			fmt.Fprintf(app.Stdout, "%s %s\n", p.Severity, p)
		}
		for _, p := range r.Suggestions {
			fmt.Fprintf(app.Stdout, "SUGGESTION %s\n", p)
		}
	}
	if r.Status() == nagios.OK {
		return nil
	}
	// The status line is the whole message: Err stays nil so that nothing
	// more is printed.
	return &exitcode.Error{Code: int(r.Status())}
}

// checkCrontabs checks crontab files as a run would read their switchman
// lines: cron's format, switchman's flags, what the original would read
// differently (with original, also this tool's own options), and, with
// groups, every --group against them.
func checkCrontabs(app *App, files []string, format crontab.Format, groups map[string]bool, original bool) (*crontab.Report, error) {
	opts := crontab.CheckOptions{Format: format, Groups: groups, Original: original}
	var r crontab.Report
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		r.CheckFile(name, data, opts)
	}
	r.Finish()
	return &r, nil
}

func zkGroups(app *App, configPath string) (map[string]bool, error) {
	d, err := readGroupData(context.Background(), app, configPath)
	if err != nil {
		return nil, err
	}
	return d.GroupSet(), nil
}

func parseCrontabFormat(s string) (crontab.Format, error) {
	switch s {
	case "auto":
		return crontab.FormatAuto, nil
	case "system":
		return crontab.FormatSystem, nil
	case "user":
		return crontab.FormatUser, nil
	}
	return 0, fmt.Errorf("--format %q: want auto, system or user", s)
}

// nagiosUnknown prints the UNKNOWN status line for err and returns exit
// code 3.
func nagiosUnknown(app *App, err error) error {
	return reportNagios(app, nagios.UnknownResult("CRONTAB", err))
}
