package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/fleet"
)

// historyOptions are `switchman history`'s flags.
type historyOptions struct {
	Output     string
	ShowOutput bool
}

func newHistoryCmd(app *App) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history LOCKNAME",
		Short: "Show a job's last runs across the fleet, and what its failures printed",
		Long: `history shows the last runs of a job (history_runs, default 50), on every
host: start, host, result, exit status, duration, peak memory and fencing token.
With --output it also prints the end of each failing run's output
(failure_output bytes of stdout and stderr, kept for the most recent failures).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput("output-format", o.Output); err != nil {
				return err
			}
			return runHistory(c.Context(), app, o, args[0])
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output-format", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&o.ShowOutput, "output", false, "print each failing run's kept output")
	return cmd
}

func runHistory(ctx context.Context, app *App, o *historyOptions, name string) error {
	a, err := dialAdmin(ctx, app, app.Config)
	if err != nil {
		return err
	}
	defer a.close()
	runs, err := a.store.RunHistory(name)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		if runs == nil {
			runs = []fleet.PastRun{}
		}
		return writeJSON(app.Stdout, runs)
	}
	return printHistory(app, runs, o.ShowOutput)
}

// printHistory prints the runs oldest first, as a log reads; with output,
// each failure's kept output follows its row, indented.
func printHistory(app *App, runs []fleet.PastRun, output bool) error {
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tHOST\tRESULT\tEXIT\tDURATION\tMAX RSS KB\tTOKEN")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\n", fmtTime(r.Start), r.Host, r.Result, r.ExitCode,
			(time.Duration(r.DurationMS) * time.Millisecond).String(), r.MaxRSSKB, r.Token)
		if !output || r.Output == "" {
			continue
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprint(app.Stdout, indentOutput(r.Output, r.OutputCut))
	}
	return tw.Flush()
}

// indentOutput indents a run's output under its row; a cut output starts
// with a marker, so that it is never taken for the whole.
func indentOutput(out string, cut bool) string {
	var b strings.Builder
	if cut {
		b.WriteString("    [...]\n")
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		b.WriteString("    | " + l + "\n")
	}
	return b.String()
}
