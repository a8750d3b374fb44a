package nagios

import (
	"fmt"
	"sort"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
)

// Overdue is CRITICAL when a running job is past its --expected-duration.
func Overdue(locks []fleet.Holder, now time.Time) Result {
	var late []string
	for _, l := range locks {
		exp, err := time.ParseDuration(l.Info.ExpectedDuration)
		if err != nil || exp <= 0 || l.Info.Start.IsZero() {
			continue
		}
		if ran := now.Sub(l.Info.Start); ran > exp {
			late = append(late, fmt.Sprintf("%s on %s running %s > %s", l.Name, l.Info.Host, ran.Round(time.Second), exp))
		}
	}
	r := Result{Service: "SWITCHMAN OVERDUE",
		Perf: []string{fmt.Sprintf("overdue=%d;;1;0", len(late)), fmt.Sprintf("running=%d;;;0", len(locks))}}
	if len(late) == 0 {
		r.Text = fmt.Sprintf("%d jobs running, none past its expected duration", len(locks))
		return r
	}
	r.State, r.Text = Critical, fmt.Sprintf("%d jobs past their expected duration: %s", len(late), listing(late))
	return r
}

// Failed is CRITICAL when a job's last run failed, or a job is halted.
func Failed(runs []fleet.Run, halts map[string]fleet.Halt) Result {
	var bad []string
	for _, r := range LatestPerJob(runs) {
		switch {
		case r.State == fleet.StateLost:
			bad = append(bad, fmt.Sprintf("%s on %s: lost: still marked running, but its switchman's session is gone", r.Lock, r.Host))
		// A waiting record keeps the last run's result.
		case (r.State == fleet.StateFinished || r.State == fleet.StateWaiting) && r.Result != "" && r.Result != fleet.ResultSuccess:
			bad = append(bad, fmt.Sprintf("%s on %s: %s (exit %d)", r.Lock, r.Host, r.Result, r.ExitCode))
		}
	}
	for name, h := range halts {
		bad = append(bad, fmt.Sprintf("%s halted since %s (switchman resume %s)", name, h.When.Format(time.RFC3339), name))
	}
	r := Result{Service: "SWITCHMAN FAILED",
		Perf: []string{fmt.Sprintf("failed=%d;;1;0", len(bad)), fmt.Sprintf("halted=%d;;1;0", len(halts))}}
	if len(bad) == 0 {
		r.Text = "no job's last run failed"
		return r
	}
	r.State, r.Text = Critical, fmt.Sprintf("%d problems: %s", len(bad), listing(bad))
	return r
}

// LatestPerJob keeps, per lock, the record of the run that started last
// on any host: the job's last run.
func LatestPerJob(runs []fleet.Run) map[string]fleet.Run {
	out := map[string]fleet.Run{}
	for _, r := range runs {
		if cur, ok := out[r.Lock]; !ok || r.Start.After(cur.Start) {
			out[r.Lock] = r
		}
	}
	return out
}

// Stale is CRITICAL when a job (names, or every job with a record or a
// schedule) has not succeeded when it should have. A job with a known
// schedule (in due: its latest slot past its deadline, zero when none is
// due yet) is stale when no success finished since that slot (less skew,
// for the hosts' clocks) and no run started since then is still going;
// any other job when it has not succeeded within maxAge: never ran, never
// succeeded since its first run older than maxAge, or last succeeded
// longer ago.
func Stale(runs []fleet.Run, names []string, maxAge time.Duration, now time.Time, due map[string]time.Time, skew time.Duration) Result {
	success := map[string]time.Time{}
	// first is the oldest start known of a job: a job whose first runs
	// are younger than maxAge is not stale yet.
	first := map[string]time.Time{}
	for _, r := range runs {
		if r.LastSuccess.After(success[r.Lock]) {
			success[r.Lock] = r.LastSuccess
		}
		if f, ok := first[r.Lock]; !ok || r.Start.Before(f) {
			first[r.Lock] = r.Start
		}
	}
	if len(names) == 0 {
		names = staleNames(first, due)
	}
	var stale []string
	for _, name := range names {
		last, seen := success[name], !first[name].IsZero()
		if slot, ok := due[name]; ok {
			if msg := staleSlot(name, slot, skew, last, runs); msg != "" {
				stale = append(stale, msg)
			}
			continue
		}
		switch {
		case !seen:
			stale = append(stale, name+" never ran")
		case last.IsZero() && now.Sub(first[name]) > maxAge:
			stale = append(stale, name+" never succeeded")
		case last.IsZero():
			// first runs still within maxAge: not stale yet
		case now.Sub(last) > maxAge:
			stale = append(stale, fmt.Sprintf("%s last succeeded %s ago", name, now.Sub(last).Round(time.Second)))
		}
	}
	r := Result{Service: "SWITCHMAN STALE",
		Perf: []string{fmt.Sprintf("stale=%d;;1;0", len(stale)), fmt.Sprintf("jobs=%d;;;0", len(names))}}
	if len(stale) == 0 {
		r.Text = fmt.Sprintf("%d jobs succeeded within %s", len(names), maxAge)
		if len(due) > 0 {
			r.Text = fmt.Sprintf("%d jobs succeeded since their last due slot, or within %s", len(names), maxAge)
		}
		return r
	}
	r.State, r.Text = Critical, fmt.Sprintf("%d of %d jobs stale: %s", len(stale), len(names), listing(stale))
	return r
}

// staleNames are the jobs Stale looks at when none are named: every job
// with a run record or a schedule, sorted.
func staleNames(first, due map[string]time.Time) []string {
	var names []string
	for name := range first {
		names = append(names, name)
	}
	for name := range due {
		if _, ok := first[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// staleSlot says why a scheduled job is stale, or "": no slot due yet, a
// success finished since its due slot (less skew), or a run started since
// then still going.
func staleSlot(name string, slot time.Time, skew time.Duration, success time.Time, runs []fleet.Run) string {
	since := slot.Add(-skew)
	if slot.IsZero() || !success.Before(since) {
		return ""
	}
	for _, r := range runs {
		if r.Lock == name && r.State == fleet.StateRunning && !r.Start.Before(since) {
			return ""
		}
	}
	return fmt.Sprintf("%s no success since its slot %s", name, slot.UTC().Format(time.RFC3339))
}

// Hosts is CRITICAL when a group has no host seen within maxAge: a host
// is seen by its heartbeat (written by any switchman run there) or by a
// run record that started or finished within maxAge.
func Hosts(d *config.Data, runs []fleet.Run, beats map[string]time.Time, maxAge time.Duration, now time.Time) Result {
	seen := map[string]bool{}
	for h, at := range beats {
		if now.Sub(at) <= maxAge {
			seen[config.HostKey(h)] = true
		}
	}
	for _, r := range runs {
		last := r.Finish
		if r.Start.After(last) {
			last = r.Start
		}
		if now.Sub(last) <= maxAge {
			seen[config.HostKey(r.Host)] = true
		}
	}
	groups := make([]string, 0, len(d.Groups))
	for g := range d.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var dead []string
	for _, g := range groups {
		hosts, _ := d.Resolve(g)
		alive := false
		for _, h := range hosts {
			alive = alive || seen[h]
		}
		if !alive {
			dead = append(dead, g)
		}
	}
	r := Result{Service: "SWITCHMAN HOSTS", Perf: []string{fmt.Sprintf("groups_without_host=%d;;1;0", len(dead)),
		fmt.Sprintf("groups=%d;;;0", len(d.Groups)), fmt.Sprintf("hosts_seen=%d;;;0", len(seen))}}
	if len(dead) == 0 {
		r.Text = fmt.Sprintf("every group has a host seen within %s", maxAge)
		return r
	}
	r.State, r.Text = Critical, fmt.Sprintf("%d groups with no host seen within %s: %s", len(dead), maxAge, listing(dead))
	return r
}
