package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/acme/switchman/internal/mdsection"
)

// line formats one finding with the seed and the fault that preceded it.
func (f *fleet) line(fd finding) string {
	off := f.elapsed(fd.at)
	prev := "no fault before it"
	var last *applied
	for i := range f.ev.applied {
		if !f.ev.applied[i].from.After(fd.at) {
			last = &f.ev.applied[i]
		}
	}
	if last != nil {
		prev = fmt.Sprintf("after %s %s at t+%s", last.Kind, last.note, f.elapsed(last.from).Round(time.Millisecond))
	}
	return fmt.Sprintf("seed %d t+%s (%s): %s", f.seed, off.Round(time.Millisecond), prev, fd.msg)
}

// report renders the markdown section.
func (f *fleet) report(res *result, cmd string, d, took time.Duration) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("## Soak")
	w("")
	w("`%s`: seed %d, %s of chaos (%s with set-up, quiesce and checks), %s.", cmd, f.seed, d, took.Round(time.Second), time.Now().UTC().Format("2006-01-02"))
	w("A real 3-server ZooKeeper ensemble (local sessions), %d simulated hosts each behind its own fault proxy launching real `switchman` processes every %s (jobs: %s)%s. S = %s, grace %s.",
		nHosts, tick, shapeNames(), f.origText(), sessionTimeout, graceTimeout)
	w("")
	launches := f.snapshot()
	w("- wrapper runs: %d; child runs recorded: %d; slots run: %d (%d launched on a shifted clock, each on its shifted slot); bytes printed by children: %d",
		len(launches), len(res.runs), res.slots, res.shifted, res.printed)
	w("- exit statuses: %s", tally(res.exits))
	w("- notifications sent: %s", tally(res.events))
	w("- **violations: %d**; unpreventable windows listed: %d", len(res.violations), len(res.windows))
	w("")
	w("| fault or operation | planned | played | errors |")
	w("|---|---|---|---|")
	planned := Counts(f.plan)
	played, errs := map[Kind]int{}, map[Kind]int{}
	for _, a := range f.ev.applied {
		played[a.Kind]++
		if a.err != nil {
			errs[a.Kind]++
		}
	}
	for _, k := range Kinds() {
		w("| %s | %d | %d | %d |", k, planned[k], played[k], errs[k])
	}
	w("")
	w("A fault is played at its planned time or, when the one before it ran late (an operator command or a")
	w("restart on a loaded box), right after it; the faults left when the time is up are not played.")
	w("Checked over the whole run: no two holders of one lock and at most TOTAL leases (except while a wrapper was")
	w("frozen past the session, listed below with evidence); no child outliving its wrapper by more than %s, and", killLatency)
	w("no child or grandchild of this tool's runs left at the end (the original stops only its command's pid, so a grandchild it leaves is listed as a window); no switchman exit 70 and no death by a signal the injector did not")
	w("send; every run record final after the quiesce (one calm run of every job on every host); nothing left")
	w("under locks/, queues/ or semaphores/; no slot run twice; no notification sent twice. A clock jump sets one")
	w("host's slot clock 5 to 45 s off (within slot_skew, 60 s) until its next jump: the soak builds switchman with")
	w("the soakclock tag, whose runs read the offset from the environment (internal/skewclock); a production build")
	w("ignores it.")
	section := func(title string, fs []finding) {
		if len(fs) == 0 {
			return
		}
		w("")
		w("%s:", title)
		w("")
		for i, fd := range fs {
			if i == 50 {
				w("- ... %d more", len(fs)-50)
				break
			}
			w("- %s", f.line(fd))
		}
	}
	section("Violations", res.violations)
	section("Unpreventable windows (a wrapper frozen longer than the session, or SIGKILLed; a grandchild the original left), with evidence", res.windows)
	return b.String()
}

func (f *fleet) origText() string {
	if f.orig == "" {
		return ""
	}
	return "; one more host runs the original Perl switchman on the plain lock"
}

func shapeNames() string {
	var n []string
	for _, s := range shapes {
		n = append(n, s.name)
	}
	return strings.Join(n, ", ")
}

func tally(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return mdsection.Tally(m)
}

// writeReport puts section into the soak section of the markdown file at
// p, leaving the rest of it as it is.
func writeReport(p, section string) error {
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(p, []byte(mdsection.Soak.Replace(string(b), section)), 0o644)
}
