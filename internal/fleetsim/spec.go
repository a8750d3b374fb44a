package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// spec is one simulated fleet: Hosts hosts, each with the same Jobs cron
// lines firing at the same minute, every job's group holding Fraction of
// the hosts.
type spec struct {
	Hosts, Jobs int
	Fraction    float64
}

// parseSizes reads "HOSTSxJOBS,..." (e.g. "20x10,100x10") into fleets
// with the given group fraction.
func parseSizes(s string, fraction float64) ([]spec, error) {
	if fraction <= 0 || fraction > 1 {
		return nil, fmt.Errorf("group fraction %g: want more than 0 and at most 1", fraction)
	}
	var out []spec
	for f := range strings.SplitSeq(s, ",") {
		h, j, ok := strings.Cut(strings.TrimSpace(f), "x")
		hosts, herr := strconv.Atoi(h)
		jobs, jerr := strconv.Atoi(j)
		if !ok || herr != nil || jerr != nil || hosts < 1 || jobs < 1 {
			return nil, fmt.Errorf("size %q: want HOSTSxJOBS with both at least 1, e.g. 200x10", f)
		}
		out = append(out, spec{Hosts: hosts, Jobs: jobs, Fraction: fraction})
	}
	return out, nil
}

// Runs is how many runs fire at the fleet's tick: every host runs every
// job's line.
func (s spec) Runs() int { return s.Hosts * s.Jobs }

// String names the fleet as the table does: "200 × 10".
func (s spec) String() string { return fmt.Sprintf("%d × %d", s.Hosts, s.Jobs) }

// groupSize is how many hosts each job's group holds: Fraction of the
// hosts, rounded, at least one.
func (s spec) groupSize() int {
	return max(1, int(math.Round(s.Fraction*float64(s.Hosts))))
}

// hostName is host i's identity (--hostname).
func hostName(i int) string { return fmt.Sprintf("host-%05d.fleet", i) }

// jobName is job j's lock name and group name.
func jobName(j int) string { return fmt.Sprintf("job-%03d", j) }

// members returns the hosts of job j's group: groupSize consecutive
// hosts (wrapping around), starting where job j-1's group ended, so that
// the groups spread over the fleet instead of all landing on host 0.
func (s spec) members(j int) []int {
	n := s.groupSize()
	out := make([]int, n)
	for i := range out {
		out[i] = (j*n + i) % s.Hosts
	}
	return out
}

// groupData returns the prefix znode's group data: one group per job.
func (s spec) groupData() ([]byte, error) {
	groups := make(map[string][]string, s.Jobs)
	for j := range s.Jobs {
		var hosts []string
		for _, h := range s.members(j) {
			hosts = append(hosts, hostName(h))
		}
		groups[jobName(j)] = hosts
	}
	return json.Marshal(map[string]any{"groups": groups})
}

// expected counts the runs of each kind one tick should have if every
// run is decided and every winner's child ends before a later member of
// its group looks: per job one winner, the rest of its group busy, every
// other host not in the group. A fast child can end before a slow
// member's look, which then wins too; the table shows what happened.
func (s spec) expected() map[kind]int {
	n := s.groupSize()
	return map[kind]int{
		kindWin:        s.Jobs,
		kindBusy:       s.Jobs * (n - 1),
		kindNotInGroup: s.Jobs * (s.Hosts - n),
	}
}
