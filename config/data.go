package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnknownGroup is returned when a group is not defined in the group data.
var ErrUnknownGroup = errors.New("config: unknown group")

// Data is the content of the prefix znode: groups of hosts and the list of
// resources that leases may name. It is stored as JSON, readable by the
// original Perl tool:
//
//	{"groups": {"reports": ["a.example.com", "b.example.com"], "all": ["reports", "c.example.com"]},
//	 "resources": ["db", "cpu-FQDN"]}
//
// A group maps to one host name or a list; a member that names another group
// is that group's members (a subgroup).
type Data struct {
	// Groups maps a group name to its members, in the order stored.
	Groups map[string][]string
	// Resources lists the resources leases may name, in lease order.
	Resources []string
	// Extra keeps unknown top-level keys so that rewriting the data loses
	// nothing another tool stored there.
	Extra map[string]json.RawMessage
}

// ParseData validates group data read from the znode called name. Empty data
// is valid and defines nothing. Every error it returns is a *DataError.
func ParseData(name string, b []byte) (*Data, error) {
	d, err := parseData(name, b)
	if err != nil {
		return nil, &DataError{Err: err}
	}
	return d, nil
}

func parseData(name string, b []byte) (*Data, error) {
	d := &Data{Groups: map[string][]string{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return d, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%s: group data is not a JSON object: %s", name, err)
	}
	for k, v := range top {
		var err error
		switch k {
		case "groups":
			err = d.parseGroups(v)
		case "resources":
			err = d.parseResources(v)
		default:
			if d.Extra == nil {
				d.Extra = map[string]json.RawMessage{}
			}
			d.Extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return d, nil
}

func (d *Data) parseGroups(raw json.RawMessage) error {
	var groups map[string]json.RawMessage
	if err := json.Unmarshal(raw, &groups); err != nil || groups == nil && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fmt.Errorf(`"groups" must be an object mapping group names to a host or a list of hosts`)
	}
	for name, v := range groups {
		if err := ValidateGroupName(name); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		members, err := parseMembers(v)
		if err != nil {
			return fmt.Errorf("groups.%s: %w", name, err)
		}
		d.Groups[name] = members
	}
	return nil
}

func parseMembers(v json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		v = json.RawMessage(`[` + string(v) + `]`)
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, fmt.Errorf("must be a host name or a list of host and group names, got %s", abbrev(v))
	}
	for _, m := range list {
		if err := ValidateHostname(m); err != nil {
			return nil, fmt.Errorf("member: %w", err)
		}
	}
	return list, nil
}

func (d *Data) parseResources(raw json.RawMessage) error {
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf(`"resources" must be a list of resource names, got %s`, abbrev(raw))
	}
	seen := map[string]bool{}
	for _, r := range list {
		if err := ValidateNodeName(r); err != nil {
			return fmt.Errorf("resources: %w", err)
		}
		if seen[r] {
			return fmt.Errorf("resources: %q listed twice", r)
		}
		seen[r] = true
	}
	d.Resources = list
	return nil
}

// ValidateGroupName checks a group name: the same characters as a host name.
func ValidateGroupName(s string) error {
	if err := ValidateHostname(s); err != nil {
		return errors.New(strings.Replace(err.Error(), "host name", "group name", 1))
	}
	return nil
}

// GroupSet returns the names of the groups defined.
func (d *Data) GroupSet() map[string]bool {
	set := make(map[string]bool, len(d.Groups))
	for g := range d.Groups {
		set[g] = true
	}
	return set
}

// Resolve returns the hosts of group, sorted and de-duplicated, following
// subgroups recursively. A cycle of subgroups ends where it closes. It
// returns an error wrapping ErrUnknownGroup for an undefined group.
func (d *Data) Resolve(group string) ([]string, error) {
	out, err := d.Order(group)
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// Order returns the hosts of group in standby order: the order in which
// the group data lists them, a subgroup's hosts in its place, each host
// once, at its first place, in HostKey form. The first is the primary of
// a job run with --standby, the next its first standby, and so on. It
// returns an error wrapping ErrUnknownGroup for an undefined group.
func (d *Data) Order(group string) ([]string, error) {
	if _, ok := d.Groups[group]; !ok {
		return nil, fmt.Errorf("%w %q (defined: %s)", ErrUnknownGroup, group, d.groupList())
	}
	w := walker{d: d, seen: map[string]bool{}, out: []string{}}
	w.walk(group)
	return w.out, nil
}

// walker collects a group's hosts in order, following subgroups
// depth-first; a cycle of subgroups ends where it closes.
type walker struct {
	d    *Data
	seen map[string]bool // groups entered and hosts collected ("\x00" + key)
	out  []string
}

func (w *walker) walk(group string) {
	if w.seen[group] {
		return
	}
	w.seen[group] = true
	for _, m := range w.d.Groups[group] {
		if _, isGroup := w.d.Groups[m]; isGroup {
			w.walk(m)
		} else if h := HostKey(m); !w.seen["\x00"+h] {
			w.seen["\x00"+h] = true // a NUL keeps hosts apart from group names
			w.out = append(w.out, h)
		}
	}
}

// Cycles returns the groups that reach themselves through subgroups.
func (d *Data) Cycles() []string {
	var out []string
	for g := range d.Groups {
		if d.reaches(g, g, map[string]bool{}) {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

func (d *Data) reaches(from, target string, seen map[string]bool) bool {
	for _, m := range d.Groups[from] {
		if _, isGroup := d.Groups[m]; !isGroup || seen[m] {
			continue
		}
		if m == target {
			return true
		}
		seen[m] = true
		if d.reaches(m, target, seen) {
			return true
		}
	}
	return false
}

// HasResource reports whether name is listed in Resources.
func (d *Data) HasResource(name string) bool {
	for _, r := range d.Resources {
		if r == name {
			return true
		}
	}
	return false
}

// DefaultDataReadLen is the original tool's default data_read_len: it reads
// at most this many bytes of the prefix znode, so longer group data fails
// to decode on every host that runs it.
const DefaultDataReadLen = 65535

// Marshal encodes the data as compact JSON the original tool can read, with
// keys in a stable order: compact, because the original reads only the
// first data_read_len bytes of the znode.
func (d *Data) Marshal() ([]byte, error) { return d.encode("") }

// MarshalIndent encodes the data as Marshal does, indented for people.
func (d *Data) MarshalIndent() ([]byte, error) { return d.encode("  ") }

func (d *Data) encode(indent string) ([]byte, error) {
	top := map[string]any{}
	for k, v := range d.Extra {
		top[k] = v
	}
	groups := map[string]any{}
	for g, m := range d.Groups {
		groups[g] = m
	}
	top["groups"] = groups
	if d.Resources != nil {
		top["resources"] = d.Resources
	} else {
		top["resources"] = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" as itself, not six bytes of \u003c
	enc.SetIndent("", indent)
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// OriginalMismatches lists the host members that this tool matches but the
// original would not: it compares a host's FQDN with the member exactly,
// while Membership ignores case and a final dot. Each entry is "group:
// member" followed by the spelling the original would match.
func (d *Data) OriginalMismatches() []string {
	var out []string
	for g, members := range d.Groups {
		for _, m := range members {
			if _, isGroup := d.Groups[m]; isGroup || HostKey(m) == m {
				continue
			}
			out = append(out, fmt.Sprintf("group %q: member %q matches host %q here (case and a final dot ignored) but not under the original, which compares exactly: write %q",
				g, m, HostKey(m), HostKey(m)))
		}
	}
	sort.Strings(out)
	return out
}

func (d *Data) groupList() string {
	names := d.GroupNames()
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// HostKey is the form in which hosts are compared: without case and
// without a final dot (Resolve returns hosts in this form).
func HostKey(h string) string {
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

func abbrev(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
