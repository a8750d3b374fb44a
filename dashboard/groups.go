package dashboard

import (
	"sort"
	"time"

	"github.com/acme/switchman/config"
)

// Group is a group of the group data as operators act on it: its hosts in
// standby order (nested groups resolved; the first is the primary of a
// job run with --standby), each with its last heartbeat, and the jobs
// whose run records name the group (--group on their lines).
type Group struct {
	Name  string      `json:"name"`
	Hosts []GroupHost `json:"hosts"`
	Jobs  []string    `json:"jobs"`
}

// GroupHost is one host of a group, at its place in the standby order.
type GroupHost struct {
	Name string    `json:"name"`
	Seen time.Time `json:"seen,omitzero"` // its last heartbeat; zero: none
}

// layoutGroups lays out every group of data (none when it was not read),
// by name, with its hosts' heartbeats (beats, by host as written) and its
// jobs (jobs, by group, possibly repeated).
func layoutGroups(data *config.Data, beats map[string]time.Time, jobs map[string][]string) []Group {
	out := []Group{}
	if data == nil {
		return out
	}
	seen := map[string]time.Time{}
	for h, t := range beats {
		seen[config.HostKey(h)] = t
	}
	for _, name := range data.GroupNames() {
		order, err := data.Order(name)
		if err != nil {
			continue // defined: GroupNames said so
		}
		g := Group{Name: name, Hosts: make([]GroupHost, 0, len(order)), Jobs: unique(jobs[name])}
		for _, h := range order {
			g.Hosts = append(g.Hosts, GroupHost{Name: h, Seen: seen[h]})
		}
		out = append(out, g)
	}
	return out
}

// unique returns names sorted, each once, never nil.
func unique(names []string) []string {
	out := []string{}
	set := map[string]bool{}
	for _, n := range names {
		if !set[n] {
			set[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
