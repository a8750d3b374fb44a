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

func newStatusCmd(app *App) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [LOCKNAME]",
		Short: "Show locks held, queues, semaphores, halted jobs and the last run per job and host",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput("output", output); err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runStatus(c.Context(), app, name, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// runStatus prints the fleet's state (name narrows it to one lock) in
// format: table or json.
func runStatus(ctx context.Context, app *App, name, format string) error {
	var skew time.Duration
	st, err := readWith(ctx, app, app.Config, dialFleet, func(a *admin) (*status.Snapshot, error) {
		skew = a.cfg.SlotSkew
		return status.Read(a.client.Store(), name, status.Shown|status.Claims)
	})
	if err != nil {
		return err
	}
	return app.report(format, st, func(tw *tabwriter.Writer) error {
		printStatus(tw, st)
		printSlots(tw, st.SlotStatus(time.Now(), skew))
		return nil
	})
}

// printSlots shows each scheduled job's last slot, what became of it and
// where, and its next slot.
func printSlots(tw *tabwriter.Writer, jobs []status.JobSlot) {
	if len(jobs) > 0 {
		fmt.Fprintln(tw, "\nSCHEDULED\tSCHEDULE\tLAST SLOT\tOUTCOME\tHOST\tNEXT SLOT")
	}
	for _, j := range jobs {
		if j.Err != nil {
			fmt.Fprintf(tw, "%s\t(%v)\n", j.Lock, j.Err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Lock, j.Schedule, fmtTime(j.Last), j.Outcome, orDash(j.Host), fmtTime(j.Next))
	}
}

func printStatus(tw *tabwriter.Writer, st *status.Snapshot) {
	fmt.Fprintln(tw, "LOCK\tHOST\tPID\tSINCE\tTOKEN\tCOMMAND")
	for _, l := range st.Locks {
		cmd := commandText(l.Command, l.CommandCut)
		if l.Original {
			cmd = "(the original switchman)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", l.Name, l.Host, l.PID, fmtTime(l.Start), l.Token, cmd)
	}
	if len(st.Queues) > 0 {
		fmt.Fprintln(tw, "\nQUEUE\tWAITING")
		for _, q := range sortedKeys(st.Queues) {
			fmt.Fprintf(tw, "%s\t%d\n", q, st.Queues[q])
		}
	}
	if len(st.Semaphores) > 0 {
		fmt.Fprintln(tw, "\nRESOURCE\tUSED\tHOLDERS")
		for _, r := range sortedKeys(st.Semaphores) {
			v := st.Semaphores[r]
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\n", r, v.Used, v.Total, strings.Join(v.Holders, ","))
		}
	}
	if len(st.Halted) > 0 {
		fmt.Fprintln(tw, "\nHALTED\tHOST\tSINCE\tRESULT\tRESUME WITH")
		for _, n := range sortedKeys(st.Halted) {
			h := st.Halted[n]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tswitchman resume %s\n", n, h.Host, fmtTime(h.When), h.Result, n)
		}
	}
	if len(st.Paused) > 0 {
		fmt.Fprintln(tw, "\nPAUSED\tBY\tSINCE\tREASON")
		for _, n := range sortedKeys(st.Paused) {
			p := st.Paused[n]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n, p.Who, fmtTime(p.When), orDash(p.Reason))
		}
	}
	fmt.Fprintln(tw, "\nJOB\tHOST\tSTATE\tSTART\tFINISH\tRESULT\tEXIT\tDURATION\tMAX RSS KB")
	for _, r := range st.Runs {
		state := r.State
		switch r.State {
		case fleet.StateWaiting:
			// The other columns are still the last run's.
			state = "waiting since " + fmtTime(r.WaitingSince)
		case fleet.StateLost:
			// Marked running, but its switchman's session has ended.
			state = "lost (session gone)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\n", r.Lock, r.Host, state, fmtTime(r.Start), fmtTime(r.Finish),
			orDash(r.Result), r.ExitCode, (time.Duration(r.DurationMS) * time.Millisecond).String(), r.MaxRSSKB)
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// commandText is a lock's command as the status table shows it; a cut
// summary ends in "...[cut]" so that it is never taken for the whole.
func commandText(argv []string, cut bool) string {
	s := strings.Join(argv, " ")
	if cut {
		s += "...[cut]"
	}
	return s
}
