package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/textdiff"
)

// groupsOptions are the flags shared by the `groups` subcommands.
type groupsOptions struct {
	DryRun bool
	Output string
	From   string
	To     string
	Before bool
	// IgnoreOriginalLimit writes group data longer than the original reads.
	IgnoreOriginalLimit bool
}

// command is `switchman groups` with its subcommands, all sharing o.
func (o *groupsOptions) command(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Show and edit the fleet's group data in ZooKeeper safely",
		Long: `Every write validates the new data first, is a compare-and-set on the znode
version (a concurrent edit fails, never overwrites), and is kept in the
history under PREFIX/history, so that it can be rolled back.`,
		Args: cobra.NoArgs,
	}
	sub := []*cobra.Command{
		groupsCmd(app, o, "init", "Create the prefix znode (and parents) with empty group data", cobra.NoArgs, runGroupsInit),
		groupsCmd(app, o, "show [GROUP]", "Print groups with their resolved hosts", cobra.MaximumNArgs(1), runGroupsShow),
		groupsCmd(app, o, "set GROUP MEMBER...", "Set a group's members", cobra.MinimumNArgs(2), runGroupsSet),
		groupsCmd(app, o, "add GROUP MEMBER...", "Add members to a group (creating it)", cobra.MinimumNArgs(2), runGroupsAdd),
		groupsCmd(app, o, "remove GROUP MEMBER...", "Remove members from a group", cobra.MinimumNArgs(2), runGroupsRemove),
		groupsCmd(app, o, "move GROUP --from HOST --to HOST", "Replace a member of a group by another", cobra.ExactArgs(1), runGroupsMove),
		groupsCmd(app, o, "delete GROUP", "Delete a group", cobra.ExactArgs(1), runGroupsDelete),
		groupsCmd(app, o, "import FILE", "Replace the group data by FILE's (- for stdin)", cobra.ExactArgs(1), runGroupsImport),
		groupsCmd(app, o, "export", "Print the group data as JSON", cobra.NoArgs, runGroupsExport),
		groupsCmd(app, o, "edit", "Edit the group data in $EDITOR; validated on save", cobra.NoArgs, runGroupsEdit),
		groupsCmd(app, o, "history", "List the recorded versions of the group data", cobra.NoArgs, runGroupsHistory),
		groupsCmd(app, o, "rollback N", "Restore version N of the history (itself a new version)", cobra.ExactArgs(1), runGroupsRollback),
	}
	for _, c := range sub {
		name := c.Name()
		switch name {
		case "show", "history":
			c.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
		case "export":
		default:
			c.Flags().BoolVar(&o.DryRun, "dry-run", false, "show the diff, write nothing")
			c.Flags().BoolVar(&o.IgnoreOriginalLimit, "ignore-original-limit", false,
				"write group data longer than the original switchman reads (data_read_len); only when no host runs it")
		}
		if name == "move" {
			c.Flags().StringVar(&o.From, "from", "", "member to replace (required)")
			c.Flags().StringVar(&o.To, "to", "", "member to put in its place (required)")
		}
		if name == "rollback" {
			c.Flags().BoolVar(&o.Before, "before", false, "restore the data as it was before change N instead of after it")
		}
		cmd.AddCommand(c)
	}
	return cmd
}

// checkOutput checks the value of an output format flag: a usage error
// unless it is table or json.
func checkOutput(flag, value string) error {
	if value != "table" && value != "json" {
		return usageError{fmt.Errorf("invalid --%s %q: must be table or json", flag, value)}
	}
	return nil
}

type groupsRun func(ctx context.Context, app *App, o *groupsOptions, args []string) error

func groupsCmd(app *App, o *groupsOptions, use, short string, args cobra.PositionalArgs, run groupsRun) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(c *cobra.Command, a []string) error {
			if o.Output != "" {
				if err := checkOutput("output", o.Output); err != nil {
					return err
				}
			}
			return run(c.Context(), app, o, a)
		},
	}
}

func runGroupsInit(ctx context.Context, app *App, o *groupsOptions, _ []string) error {
	a, err := dialAdmin(ctx, app, app.Config)
	if err != nil {
		return err
	}
	defer a.close()
	empty, _ := (&config.Data{Groups: map[string][]string{}}).Marshal()
	if o.DryRun {
		fmt.Fprintf(app.Stdout, "would create %s with:\n%s\n", a.cfg.Prefix, empty)
		return nil
	}
	created, err := a.client.Store().InitPrefix(empty)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintf(app.Stdout, "%s already exists; left untouched\n", a.cfg.Prefix)
		return nil
	}
	fmt.Fprintf(app.Stdout, "created %s\n", a.cfg.Prefix)
	return nil
}

func runGroupsShow(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	d, err := readGroupData(ctx, app, app.Config)
	if err != nil {
		return err
	}
	views, err := d.Describe(args...)
	if err != nil {
		return err
	}
	return app.report(o.Output, views, func(tw *tabwriter.Writer) error {
		fmt.Fprintln(tw, "GROUP\tMEMBERS\tHOSTS")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Group, strings.Join(v.Members, ","), orDash(strings.Join(v.Hosts, ",")))
		}
		if len(args) == 0 && len(d.Resources) > 0 {
			fmt.Fprintf(tw, "\nresources:\t%s\n", strings.Join(d.Resources, ","))
		}
		return nil
	})
}

func runGroupsSet(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	return mutateGroups(ctx, app, o, "set "+strings.Join(args, " "), func(d *config.Data) error {
		d.SetGroup(args[0], args[1:])
		return nil
	})
}

func runGroupsAdd(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	return mutateGroups(ctx, app, o, "add "+strings.Join(args, " "), func(d *config.Data) error {
		d.AddMembers(args[0], args[1:])
		return nil
	})
}

func runGroupsRemove(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	return mutateGroups(ctx, app, o, "remove "+strings.Join(args, " "), func(d *config.Data) error {
		return d.RemoveMembers(args[0], args[1:])
	})
}

func runGroupsMove(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	if o.From == "" || o.To == "" {
		return usageError{errors.New("move needs --from HOST and --to HOST")}
	}
	g := args[0]
	return mutateGroups(ctx, app, o, fmt.Sprintf("move %s %s -> %s", g, o.From, o.To), func(d *config.Data) error {
		err := d.MoveMember(g, o.From, o.To)
		if err != nil && !errors.Is(err, config.ErrUnknownGroup) {
			return fmt.Errorf("--from %w", err) // the member is the flag's
		}
		return err
	})
}

func runGroupsDelete(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	return mutateGroups(ctx, app, o, "delete "+args[0], func(d *config.Data) error {
		return d.DeleteGroup(args[0])
	})
}

func runGroupsImport(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	nd, err := config.ReadDataFile(args[0], app.Stdin)
	if err != nil {
		return err
	}
	return replaceGroups(ctx, app, o, "import "+args[0], nd)
}

func runGroupsExport(ctx context.Context, app *App, o *groupsOptions, _ []string) error {
	d, err := readGroupData(ctx, app, app.Config)
	if err != nil {
		return err
	}
	b, err := d.MarshalIndent()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(app.Stdout, "%s\n", b)
	return err
}

func runGroupsHistory(ctx context.Context, app *App, o *groupsOptions, _ []string) error {
	hist, err := readWith(ctx, app, app.Config, dialAdmin, func(a *admin) ([]fleet.Change, error) { return a.client.Store().History() })
	if err != nil {
		return err
	}
	// The JSON names each change's number n, as rollback takes it.
	type entry struct {
		N int64 `json:"n"`
		fleet.Change
	}
	out := make([]entry, 0, len(hist))
	for _, c := range hist {
		out = append(out, entry{N: c.Seq, Change: c})
	}
	return app.report(o.Output, out, func(tw *tabwriter.Writer) error {
		fmt.Fprintln(tw, "N\tWHEN\tWHO\tWHAT")
		for _, c := range hist {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Seq, c.When.Local().Format(time.DateTime), c.Who, c.What)
		}
		return nil
	})
}

func runGroupsRollback(ctx context.Context, app *App, o *groupsOptions, args []string) error {
	n, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return usageError{fmt.Errorf("invalid version %q: must be a number from `switchman groups history`", args[0])}
	}
	a, err := dialAdmin(ctx, app, app.Config)
	if err != nil {
		return err
	}
	hist, err := a.client.Store().History()
	a.close()
	if err != nil {
		return err
	}
	for _, c := range hist {
		if c.Seq != n {
			continue
		}
		raw, which := c.After, "after"
		if o.Before {
			raw, which = c.Before, "before"
		}
		nd, err := config.ParseData(fmt.Sprintf("history %d (%s)", n, which), raw)
		if err != nil {
			return err
		}
		return replaceGroups(ctx, app, o, fmt.Sprintf("rollback %d (%s)", n, which), nd)
	}
	return &config.DataError{Err: fmt.Errorf("no version %d in the history (see `switchman groups history`)", n)}
}

// replaceGroups writes nd in place of the whole group data.
func replaceGroups(ctx context.Context, app *App, o *groupsOptions, what string, nd *config.Data) error {
	return mutateGroups(ctx, app, o, what, func(d *config.Data) error {
		*d = *nd
		if d.Groups == nil {
			d.Groups = map[string][]string{}
		}
		return nil
	})
}

// readForWrite connects and reads the group data with the version a
// write compares against. The caller closes the session.
func readForWrite(ctx context.Context, app *App) (*admin, []byte, int32, error) {
	a, err := dialAdmin(ctx, app, app.Config)
	if err != nil {
		return nil, nil, 0, err
	}
	old, version, err := a.client.Store().ReadDataVersion()
	if err != nil {
		a.close()
		return nil, nil, 0, err
	}
	return a, old, version, nil
}

// mutateGroups is every write: read data and version, apply change,
// validate, show the diff, and compare-and-set with a history entry.
func mutateGroups(ctx context.Context, app *App, o *groupsOptions, what string, change func(*config.Data) error) error {
	a, old, version, err := readForWrite(ctx, app)
	if err != nil {
		return err
	}
	defer a.close()
	d, err := config.ParseData(a.cfg.Prefix, old)
	if err != nil {
		return &config.DataError{Err: fmt.Errorf("current data is invalid (fix it with `switchman groups import` or `edit`): %w", err)}
	}
	if err := change(d); err != nil {
		return &config.DataError{Err: err}
	}
	newb, err := encodeData(app, a.cfg.Prefix, d)
	if err != nil {
		return err
	}
	if !o.IgnoreOriginalLimit {
		if err := a.cfg.CheckDataLen(newb); err != nil {
			return err
		}
	}
	return commitData(app, a, o.DryRun, what, old, newb, version)
}

// encodeData validates and encodes d, printing its warnings on stderr.
func encodeData(app *App, name string, d *config.Data) ([]byte, error) {
	b, warnings, err := d.Encode(name)
	for _, w := range warnings {
		fmt.Fprintf(app.Stderr, "switchman: warning: %s\n", w)
	}
	return b, err
}

func commitData(app *App, a *admin, dryRun bool, what string, old, newb []byte, version int32) error {
	diff := textdiff.Full(config.PrettyData(a.cfg.Prefix, old), config.PrettyData(a.cfg.Prefix, newb))
	switch {
	case diff == "" && bytes.Equal(old, newb):
		fmt.Fprintln(app.Stdout, "no change")
		return nil
	case diff == "":
		// Same data, stored longer (indented by an older version): worth
		// rewriting, as the original reads only data_read_len bytes.
		fmt.Fprintf(app.Stdout, "no change in content; stored as compact JSON: %d -> %d bytes\n", len(old), len(newb))
	}
	fmt.Fprint(app.Stdout, diff)
	if dryRun {
		fmt.Fprintln(app.Stdout, "dry run: nothing written")
		return nil
	}
	err := a.client.Store().WriteData(version, fleet.Change{
		Who: whoAmI(app), When: time.Now().UTC(), What: what, Before: fleet.HistoryJSON(old), After: newb,
	}, a.cfg.HistoryKeep)
	return err
}

// whoAmI names the operator for the history: the sudo caller if any.
func whoAmI(app *App) string {
	name := app.Getenv("SUDO_USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		} else {
			name = app.Getenv("USER")
		}
	}
	h, _ := os.Hostname()
	return name + "@" + h
}

func runGroupsEdit(ctx context.Context, app *App, o *groupsOptions, _ []string) error {
	a, old, version, err := readForWrite(ctx, app)
	if err != nil {
		return err
	}
	defer a.close()
	f, err := os.CreateTemp("", "switchman-groups-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	text := config.PrettyData(a.cfg.Prefix, old) + "\n"
	in := bufio.NewReader(app.Stdin)
	for {
		if err := os.WriteFile(f.Name(), []byte(text), 0o600); err != nil {
			return err
		}
		if err := runEditor(app, f.Name()); err != nil {
			return err
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			return err
		}
		d, err := config.ParseData(f.Name(), b)
		var newb []byte
		if err == nil {
			newb, err = encodeData(app, f.Name(), d)
		}
		if err == nil {
			return commitData(app, a, o.DryRun, "edit", old, newb, version)
		}
		fmt.Fprintf(app.Stderr, "switchman: %v\nEdit again? [Y/n] ", err)
		ans, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(ans)); a == "n" || a == "no" {
			return &config.DataError{Err: errors.New("edit abandoned; nothing written")}
		}
		text = string(b)
	}
}

func runEditor(app *App, file string) error {
	editor := app.Getenv("VISUAL")
	if editor == "" {
		editor = app.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	// Through the shell, as git does, so EDITOR may carry arguments.
	c := exec.Command("/bin/sh", "-c", editor+` "$1"`, editor, file)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("editor %q: %w; nothing written", editor, err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// report prints v as JSON when format is "json", else as the table that
// table writes (tab-separated columns, aligned when it returns).
func (app *App) report(format string, v any, table func(tw *tabwriter.Writer) error) error {
	if format == "json" {
		return writeJSON(app.Stdout, v)
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
