package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/status"
)

func newHistoryCmd(app *App) *cobra.Command {
	var format string
	var showOutput bool
	cmd := &cobra.Command{
		Use:   "history LOCKNAME",
		Short: "Show a job's last runs across the fleet, and what its failures printed",
		Long: `history shows the last runs of a job (history_runs, default 50), on every
host: start, host, result, exit status, duration, peak memory and fencing token.
With --output it also prints the end of each failing run's output
(failure_output bytes of stdout and stderr, kept for the most recent failures).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput("output-format", format); err != nil {
				return err
			}
			return runHistory(c.Context(), app, args[0], format, showOutput)
		},
	}
	cmd.Flags().StringVarP(&format, "output-format", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&showOutput, "output", false, "print each failing run's kept output")
	return cmd
}

// runHistory prints the job name's history in format (table or json), with
// each failure's kept output when showOutput is set.
func runHistory(ctx context.Context, app *App, name, format string, showOutput bool) error {
	snap, err := readFleet(ctx, app, app.Config, dialAdmin, name, status.Histories)
	if err != nil {
		return err
	}
	runs := snap.Histories[name]
	return app.report(format, runs, func(tw *tabwriter.Writer) error { return printHistory(app, tw, runs, showOutput) })
}

// printHistory prints the runs oldest first, as a log reads; with output,
// each failure's kept output follows its row, indented.
func printHistory(app *App, tw *tabwriter.Writer, runs []fleet.PastRun, output bool) error {
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
	return nil
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
