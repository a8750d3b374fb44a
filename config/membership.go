package config

import (
	"slices"
	"sort"
)

// Membership is what group data says of one host and one group. Its zero
// value is NotMember.
type Membership int

const (
	// NotMember is a defined group that the host is not in.
	NotMember Membership = iota
	// Member is a host in the group, directly or through subgroups.
	Member
	// GroupUnknown is a group the data does not define.
	GroupUnknown
)

// String names m as log lines and tests do.
func (m Membership) String() string {
	switch m {
	case Member:
		return "member"
	case GroupUnknown:
		return "group unknown"
	}
	return "not member"
}

// Membership is the one rule deciding whether host is in group, followed
// through subgroups; host names compare as HostKey makes them (case and a
// final dot ignored). Its callers read the three answers differently, on
// purpose: a run starts only for Member and fails on GroupUnknown (a
// typo in --group); a running job's guard stops on anything but Member,
// reading GroupUnknown as the group deleted and so left by the host (a
// move); doctor lists the groups that give Member (GroupsOf).
//
// The error is nil except with GroupUnknown, where it wraps
// ErrUnknownGroup and names the groups defined.
func (d *Data) Membership(group, host string) (Membership, error) {
	hosts, err := d.Resolve(group)
	if err != nil {
		return GroupUnknown, err
	}
	h := HostKey(host)
	// Resolve returns the hosts sorted and in HostKey form.
	if i := sort.SearchStrings(hosts, h); i < len(hosts) && hosts[i] == h {
		return Member, nil
	}
	return NotMember, nil
}

// GroupsOf returns, sorted, the groups that host is a Member of.
func (d *Data) GroupsOf(host string) []string {
	var out []string
	for _, g := range d.GroupNames() {
		if m, _ := d.Membership(g, host); m == Member {
			out = append(out, g)
		}
	}
	return out
}

// GroupNames returns the names of the groups defined, sorted.
func (d *Data) GroupNames() []string {
	names := make([]string, 0, len(d.Groups))
	for g := range d.Groups {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// GroupHosts is one group with its members as stored and the hosts they
// resolve to, as `switchman groups show` prints it (JSON included).
type GroupHosts struct {
	Group   string   `json:"group"`
	Members []string `json:"members"`
	Hosts   []string `json:"hosts"`
	// Order is the hosts in standby order (see Order).
	Order []string `json:"standby_order"`
}

// Describe returns the groups named, in that order, with their hosts, or
// every group, sorted by name, when none is named. An undefined group is
// an error wrapping ErrUnknownGroup, as Resolve returns it.
func (d *Data) Describe(groups ...string) ([]GroupHosts, error) {
	if len(groups) == 0 {
		groups = d.GroupNames()
	}
	out := make([]GroupHosts, 0, len(groups))
	for _, g := range groups {
		hosts, err := d.Resolve(g)
		if err != nil {
			return nil, err
		}
		order, _ := d.Order(g) // defined: Resolve said so
		out = append(out, GroupHosts{Group: g, Members: d.Groups[g], Hosts: hosts, Order: order})
	}
	return out, nil
}

// StandbyRank returns host's place in group's standby order (0: the
// primary), or -1 when it is not a member.
func (d *Data) StandbyRank(group, host string) int {
	order, err := d.Order(group)
	if err != nil {
		return -1
	}
	return slices.Index(order, HostKey(host))
}
