package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// The editing rules of the group data, as `switchman groups` applies
// them. They live beside Data rather than in a package of their own
// because they are the same model: a second package would either split
// the model from its rules or move Data, which every reader of the
// prefix znode names.

// SetGroup makes members the members of group, creating it; a member
// listed twice is kept once, at its first place.
func (d *Data) SetGroup(group string, members []string) {
	d.Groups[group] = dedupe(members)
}

// AddMembers appends to group the members it does not hold yet, creating
// the group.
func (d *Data) AddMembers(group string, members []string) {
	d.Groups[group] = dedupe(append(slices.Clone(d.Groups[group]), members...))
}

// RemoveMembers removes members from group. It changes nothing and
// returns an error wrapping ErrUnknownGroup for an undefined group, or
// naming the first of members that group does not hold.
func (d *Data) RemoveMembers(group string, members []string) error {
	old, err := d.members(group)
	if err != nil {
		return err
	}
	for _, m := range members {
		if !slices.Contains(old, m) {
			return notMember(group, m, old)
		}
	}
	kept := []string{}
	for _, m := range old {
		if !slices.Contains(members, m) {
			kept = append(kept, m)
		}
	}
	d.Groups[group] = kept
	return nil
}

// MoveMember puts to in the place of from among group's members (once,
// if to was a member already). It changes nothing and returns an error
// wrapping ErrUnknownGroup for an undefined group, or saying that from
// is not a member.
func (d *Data) MoveMember(group, from, to string) error {
	old, err := d.members(group)
	if err != nil {
		return err
	}
	if !slices.Contains(old, from) {
		return notMember(group, from, old)
	}
	moved := slices.Clone(old)
	for i, m := range moved {
		if m == from {
			moved[i] = to
		}
	}
	d.Groups[group] = dedupe(moved)
	return nil
}

// DeleteGroup removes group. It changes nothing and returns an error
// wrapping ErrUnknownGroup for an undefined group, or naming a group
// that still holds it as a subgroup.
func (d *Data) DeleteGroup(group string) error {
	if _, err := d.members(group); err != nil {
		return err
	}
	for _, g := range d.GroupNames() {
		if g != group && slices.Contains(d.Groups[g], group) {
			return fmt.Errorf("group %q is a member of group %q; remove it there first", group, g)
		}
	}
	delete(d.Groups, group)
	return nil
}

func (d *Data) members(group string) ([]string, error) {
	members, ok := d.Groups[group]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownGroup, group)
	}
	return members, nil
}

func notMember(group, m string, members []string) error {
	return fmt.Errorf("%q is not a member of group %q (members: %s)", m, group, strings.Join(members, ", "))
}

func dedupe(in []string) []string {
	out := []string{}
	for _, m := range in {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// Encode validates d as data for the znode called name and returns it as
// Marshal does, with what is legal in it but probably a mistake
// (Warnings). Edits may put in d names that ParseData would refuse; it
// returns a *DataError naming the first, and checks that the encoding
// parses back.
func (d *Data) Encode(name string) ([]byte, []string, error) {
	for _, g := range d.GroupNames() {
		if err := ValidateGroupName(g); err != nil {
			return nil, nil, &DataError{Err: err}
		}
		for _, m := range d.Groups[g] {
			if err := ValidateHostname(m); err != nil {
				return nil, nil, &DataError{Err: fmt.Errorf("group %q: %w", g, err)}
			}
		}
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, nil, err
	}
	back, err := ParseData(name, b)
	if err != nil {
		return nil, nil, err
	}
	return b, back.Warnings(), nil
}

// Warnings lists what is legal in d but probably a mistake: members the
// original would not match (OriginalMismatches), cycles of subgroups,
// and groups that resolve to no host.
func (d *Data) Warnings() []string {
	out := d.OriginalMismatches()
	if c := d.Cycles(); len(c) > 0 {
		out = append(out, "groups in a cycle of subgroups: "+strings.Join(c, ", "))
	}
	for _, g := range d.GroupNames() {
		if hosts, _ := d.Resolve(g); len(hosts) == 0 {
			out = append(out, fmt.Sprintf("group %q resolves to no host: its jobs run nowhere", g))
		}
	}
	return out
}

// CheckDataLen refuses encoded group data b longer than the original tool
// reads (its data_read_len: c.DataReadLen, else DefaultDataReadLen):
// every original instance would fail with "Could not decode data". The
// error is a *DataError that says how to shorten the data or to pass
// --ignore-original-limit, which skips this check.
func (c *Config) CheckDataLen(b []byte) error {
	limit := c.DataReadLen
	if limit == 0 {
		limit = DefaultDataReadLen
	}
	if len(b) <= limit {
		return nil
	}
	return &DataError{Err: fmt.Errorf(
		"new group data is %d bytes, the original switchman reads at most %d (data_read_len): every host still running it would fail; "+
			"shorten the data (subgroups), or raise data_read_len on those hosts and in %s, or pass --ignore-original-limit when no host runs the original",
		len(b), limit, c.Path)}
}

// PrettyData returns stored group data b, read from the znode called
// name, indented for people and with keys in a stable order, so that two
// versions compare line by line; empty or unparsable data is returned as
// stored.
func PrettyData(name string, b []byte) string {
	if d, err := ParseData(name, b); err == nil && len(bytes.TrimSpace(b)) > 0 {
		if p, err := d.MarshalIndent(); err == nil {
			return string(p)
		}
	}
	return string(b)
}

// ReadDataFile reads and parses group data from the file at path, or
// from stdin when path is "-". Every error it returns is a *DataError.
func ReadDataFile(path string, stdin io.Reader) (*Data, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, &DataError{Err: fmt.Errorf("import: %w", err)}
	}
	return ParseData(path, b)
}
