package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

func newStatusCmd(app *App) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [LOCKNAME]",
		Short: "Show locks held, queues, semaphores, halted jobs and the last run per job and host",
		Args:  usageArgs(cobra.MaximumNArgs(1)),
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

// fleetStatus is everything status shows.
type fleetStatus struct {
	Locks      []fleet.Holder         `json:"locks"`
	Queues     map[string]int         `json:"queues"`
	Semaphores map[string]semView     `json:"semaphores"`
	Halted     map[string]fleet.Halt  `json:"halted"`
	Paused     map[string]fleet.Pause `json:"paused"`
	Runs       []fleet.Run            `json:"runs"`
}

// readStatus reads the fleet's state; name narrows it to one lock.
func readStatus(a *admin, name string) (*fleetStatus, error) {
	st := &fleetStatus{Queues: map[string]int{}, Semaphores: map[string]semView{}}
	locks, err := a.store.Locks()
	if err != nil {
		return nil, err
	}
	for _, l := range locks {
		if name == "" || l.Name == name {
			st.Locks = append(st.Locks, l)
		}
	}
	if st.Halted, err = a.store.Halts(); err != nil {
		return nil, err
	}
	if st.Paused, err = a.store.Pauses(); err != nil {
		return nil, err
	}
	if st.Runs, err = a.store.Runs(name); err != nil {
		return nil, err
	}
	st.emptyNotNull()
	if name != "" {
		return st, nil
	}
	queues, err := a.store.Waiters(lock.QueuesDir)
	if err != nil {
		return nil, err
	}
	for q, w := range queues {
		st.Queues[q] = len(w)
	}
	leases, err := a.store.Leases()
	if err != nil {
		return nil, err
	}
	for r, ls := range leases {
		v := semView{Holders: []string{}}
		for _, l := range ls {
			v.Used += l.Count
			v.Total = l.Total
			v.Holders = append(v.Holders, holderName(l))
		}
		st.Semaphores[r] = v
	}
	return st, nil
}

// semView is a resource's use: the units held, of how many, and by whom
// ("host:pid", "xCOUNT" when a holder has more than one unit, and
// "(original)" for a holder that is the original tool).
type semView struct {
	Used    int64    `json:"used"`
	Total   int64    `json:"total"`
	Holders []string `json:"holders"`
}

// emptyNotNull makes empty fields [] or {} in the JSON output, never null,
// so that scripts can iterate over every field without a check.
func (st *fleetStatus) emptyNotNull() {
	if st.Locks == nil {
		st.Locks = []fleet.Holder{}
	}
	if st.Runs == nil {
		st.Runs = []fleet.Run{}
	}
	if st.Halted == nil {
		st.Halted = map[string]fleet.Halt{}
	}
	if st.Paused == nil {
		st.Paused = map[string]fleet.Pause{}
	}
}

// holderName names a lease holder.
func holderName(l fleet.Lease) string {
	name := l.Node
	if l.Info.Host != "" {
		name = fmt.Sprintf("%s:%d", l.Info.Host, l.Info.PID)
	}
	if l.Count != 1 {
		name += fmt.Sprintf("x%d", l.Count)
	}
	if l.Info.Original {
		name += "(original)"
	}
	return name
}

// runStatus prints the fleet's state (name narrows it to one lock) in
// format: table or json.
func runStatus(ctx context.Context, app *App, name, format string) error {
	st, err := readWith(ctx, app, app.Config, dialFleet, func(a *admin) (*fleetStatus, error) { return readStatus(a, name) })
	if err != nil {
		return err
	}
	return app.report(format, st, func(tw *tabwriter.Writer) error { printStatus(tw, st); return nil })
}

func printStatus(tw *tabwriter.Writer, st *fleetStatus) {
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
