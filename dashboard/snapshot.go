package dashboard

import (
	"sort"
	"strings"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/slot"
	"github.com/acme/switchman/status"
)

// Fleet is everything the dashboard shows, as the JSON API returns it.
type Fleet struct {
	Prefix   string    `json:"prefix"`
	Read     time.Time `json:"read"`
	Jobs     []Job     `json:"jobs"`
	Failures []Failure `json:"failures"`
	Hosts    []Host    `json:"hosts"`
	Groups   []Group   `json:"groups"`
}

// Job is one job: where it runs now, its last finished run, its markers and
// its history, oldest first.
type Job struct {
	Name string `json:"name"`
	// RunningOn is the host holding the job's lock now ("" when idle);
	// RunningSince and PID say since when and which process.
	RunningOn    string          `json:"running_on,omitempty"`
	RunningSince time.Time       `json:"running_since,omitzero"`
	PID          int             `json:"pid,omitempty"`
	Last         *fleet.PastRun  `json:"last,omitempty"`
	Expected     string          `json:"expected_duration,omitempty"`
	Halted       *fleet.Halt     `json:"halted,omitempty"`
	Paused       *fleet.Pause    `json:"paused,omitempty"`
	Runs         []fleet.PastRun `json:"runs"`
	// Slot is the job's last slot and its next, for a job with a
	// recorded schedule; Slots are its slots over the span of Runs,
	// each ran, caught up or missed (status.SlotMarks).
	Slot  *Slot             `json:"slot,omitempty"`
	Slots []status.SlotMark `json:"slots,omitempty"`
}

// Slot is a scheduled job's last slot, what became of it and where, and
// its next slot (status.JobSlot).
type Slot struct {
	Schedule string         `json:"schedule"`
	Last     time.Time      `json:"last,omitzero"`
	Outcome  status.Outcome `json:"outcome"`
	Host     string         `json:"host,omitempty"`
	Next     time.Time      `json:"next,omitzero"`
}

// Failure is a failed run of a job, newest first in Fleet.Failures.
type Failure struct {
	Job string `json:"job"`
	fleet.PastRun
}

// Host is a host with its last heartbeat (zero when it never wrote one)
// and the jobs it runs now.
type Host struct {
	Name    string    `json:"name"`
	Seen    time.Time `json:"seen,omitzero"`
	Running []string  `json:"running,omitempty"`
}

// parts are the parts of the fleet the dashboard shows.
const parts = status.Locks | status.Halts | status.Pauses | status.Runs | status.Heartbeats | status.Histories |
	status.Groups | status.Claims

// read reads the fleet from the store and lays it out by job, host and
// group, its slots judged with clocks up to skew apart.
func read(s *fleet.Store, skew time.Duration) (*Fleet, error) {
	snap, err := status.Read(s, "", parts)
	if err != nil {
		return nil, err
	}
	return layout(snap, skew), nil
}

// layout lays a snapshot out by job, by host and by group: every job the
// snapshot knows, with its markers, holder, history and slots, every host
// that ran a job, runs one or wrote a heartbeat, and every group.
func layout(snap *status.Snapshot, skew time.Duration) *Fleet {
	jobs := map[string]*Job{}
	job := func(name string) *Job {
		if jobs[name] == nil {
			jobs[name] = &Job{Name: name, Runs: snap.Histories[name]}
		}
		return jobs[name]
	}
	groups := map[string][]string{} // group -> jobs run with --group it
	hosts := map[string][]string{}  // host -> jobs it runs now
	for _, r := range snap.Runs {
		j := job(r.Lock)
		if r.Expected != "" {
			j.Expected = r.Expected
		}
		if r.Group != "" {
			groups[r.Group] = append(groups[r.Group], r.Lock)
		}
		hosts[r.Host] = nil // every host that ran a job is listed
	}
	addMarkers(snap, job, groups)
	for _, l := range snap.Locks {
		j := job(l.Name)
		j.RunningOn, j.RunningSince, j.PID = l.Info.Host, l.Info.Start, l.Info.PID
		if l.Info.ExpectedDuration != "" {
			j.Expected = l.Info.ExpectedDuration
		}
		hosts[l.Info.Host] = append(hosts[l.Info.Host], l.Name)
	}
	addSlots(snap, job, skew)
	f := &Fleet{Prefix: snap.Prefix, Read: snap.Read}
	f.Jobs, f.Failures = sortedJobs(jobs)
	f.Hosts = sortedHosts(hosts, snap.Heartbeats)
	f.Groups = layoutGroups(snap.Data, snap.Heartbeats, groups)
	return f
}

// Class is the outcome as the stylesheet's class: ran, caughtup, missed
// or due.
func (s Slot) Class() string { return outcomeClass(s.Outcome) }

func outcomeClass(o status.Outcome) string { return strings.ReplaceAll(string(o), " ", "") }

// addSlots gives each scheduled job its last and next slot, and the marks
// of its slots since its oldest run, run slot or claim kept.
func addSlots(snap *status.Snapshot, job func(string) *Job, skew time.Duration) {
	for _, sch := range snap.Scheduled {
		if len(sch.Claimed) == 0 {
			continue
		}
		if oldest, err := slot.Parse(sch.Claimed[0]); err == nil {
			j := job(sch.Lock)
			j.Slots = snap.SlotMarks(sch.Lock, spanOf(j.Runs, oldest), snap.Read, snap.Read, skew)
		}
	}
	for _, s := range snap.SlotStatus(snap.Read, skew) {
		if s.Err == nil { // check missed reports an unreadable record
			job(s.Lock).Slot = &Slot{Schedule: s.Schedule, Last: s.Last, Outcome: s.Outcome, Host: s.Host, Next: s.Next}
		}
	}
}

// spanOf is the oldest of from, the runs' starts and their slots.
func spanOf(runs []fleet.PastRun, from time.Time) time.Time {
	for _, r := range runs {
		from = minTime(from, r.Start)
		if !r.Slot.IsZero() {
			from = minTime(from, r.Slot)
		}
	}
	return from
}

// addMarkers adds halts and pauses; a group pause shows on every job that
// ran with that --group (the records name it), unless the job has a pause
// of its own.
func addMarkers(snap *status.Snapshot, job func(string) *Job, groups map[string][]string) {
	for n, h := range snap.Halted {
		job(n).Halted = &h
	}
	for n, p := range snap.Paused {
		if _, isGroup := fleet.IsGroupPause(n); !isGroup {
			job(n).Paused = &p
		}
	}
	for n, p := range snap.Paused {
		if g, isGroup := fleet.IsGroupPause(n); isGroup {
			reason := "group " + g
			if p.Reason != "" {
				reason += ": " + p.Reason
			}
			for _, name := range groups[g] {
				if j := job(name); j.Paused == nil {
					gp := p
					gp.Reason = reason
					j.Paused = &gp
				}
			}
		}
	}
}

// sortedJobs returns the jobs by name, each with its last run, and the
// failures, newest first.
func sortedJobs(jobs map[string]*Job) ([]Job, []Failure) {
	out := make([]Job, 0, len(jobs))
	var fails []Failure
	for _, j := range jobs {
		if j.Runs == nil {
			j.Runs = []fleet.PastRun{}
		}
		if n := len(j.Runs); n > 0 {
			j.Last = &j.Runs[n-1]
			if j.Expected == "" {
				j.Expected = j.Last.Expected
			}
		}
		for _, r := range j.Runs {
			if r.Result != fleet.ResultSuccess {
				fails = append(fails, Failure{Job: j.Name, PastRun: r})
			}
		}
		out = append(out, *j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	sort.Slice(fails, func(a, b int) bool { return fails[a].Finish.After(fails[b].Finish) })
	return out, fails
}

func sortedHosts(running map[string][]string, beats map[string]time.Time) []Host {
	for h := range beats {
		running[h] = running[h]
	}
	out := make([]Host, 0, len(running))
	for h, jobs := range running {
		if strings.TrimSpace(h) == "" {
			continue
		}
		sort.Strings(jobs)
		out = append(out, Host{Name: h, Seen: beats[h], Running: jobs})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
