package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMembership(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, group, host string
		want              Membership
		wantErr           string // in the error, which only GroupUnknown has
	}{
		{"direct", "reports", "a.example.com", Member, ""},
		{"case and final dot ignored", "reports", "A.EXAMPLE.COM.", Member, ""},
		{"member stored with capital and dot", "reports", "b.example.com", Member, ""},
		{"through a subgroup", "all", "c.example.com", Member, ""},
		{"through a cycle", "loop2", "e.example.com", Member, ""},
		{"not in a defined group", "etl", "a.example.com", NotMember, ""},
		{"a subgroup's name is no host", "all", "reports", NotMember, ""},
		{"empty host", "all", "", NotMember, ""},
		{"unknown group names the group and the defined ones", "nope", "a.example.com", GroupUnknown, `unknown group "nope" (defined: all, etl, loop1, loop2, reports, self)`},
		{"group names are case-sensitive", "Reports", "a.example.com", GroupUnknown, `"Reports"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Membership(tt.group, tt.host)
			if got != tt.want {
				t.Errorf("Membership(%q, %q) = %v, want %v", tt.group, tt.host, got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (!errors.Is(err, ErrUnknownGroup) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want ErrUnknownGroup containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMembershipEmptyData(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := d.Membership("g", "a.example.com"); m != GroupUnknown || !strings.Contains(err.Error(), "(defined: none)") {
		t.Errorf("Membership in empty data = %v, %v", m, err)
	}
}

func TestGroupsOf(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want []string
	}{
		{"A.example.com", []string{"all", "reports"}},
		{"c.example.com", []string{"all", "etl"}},
		{"e.example.com", []string{"loop1", "loop2"}},
		{"z.example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			if got := d.GroupsOf(tt.host); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GroupsOf(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(`{"groups":{"web":["a.example.com","B."],"all":["web","c"],"none":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		groups  []string
		want    []GroupHosts
		wantErr string
	}{
		{"all, sorted", nil, []GroupHosts{
			{"all", []string{"web", "c"}, []string{"a.example.com", "b", "c"}, []string{"a.example.com", "b", "c"}},
			{"none", []string{}, []string{}, []string{}},
			{"web", []string{"a.example.com", "B."}, []string{"a.example.com", "b"}, []string{"a.example.com", "b"}},
		}, ""},
		{"one", []string{"web"}, []GroupHosts{{"web", []string{"a.example.com", "B."}, []string{"a.example.com", "b"}, []string{"a.example.com", "b"}}}, ""},
		{"unknown", []string{"db"}, nil, `config: unknown group "db" (defined: all, none, web)`},
		{"empty name is unknown", []string{""}, nil, `config: unknown group ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Describe(tt.groups...)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUnknownGroup) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want ErrUnknownGroup starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Describe(%q) = %v, %v; want %v", tt.groups, got, err, tt.want)
			}
		})
	}
}

// TestStandbyOrder: the standby order is the order the data lists hosts
// in, subgroups expanded in place, each host once at its first place; it
// survives the data's encoding and the `groups` edits.
func TestStandbyOrder(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(`{"groups":{
		"pair": ["b.example.com", "A.example.com."],
		"ordered": ["z.example.com", "pair", "b.example.com", "c.example.com"],
		"loop1": ["loop2", "e.example.com"], "loop2": ["loop1", "d.example.com"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, group string
		want        []string
	}{
		{"as listed, not sorted", "pair", []string{"b.example.com", "a.example.com"}},
		{"a subgroup in its place, a repeat at its first place", "ordered",
			[]string{"z.example.com", "b.example.com", "a.example.com", "c.example.com"}},
		{"a cycle ends where it closes", "loop1", []string{"d.example.com", "e.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Order(tt.group)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Order(%q) = %q, %v; want %q", tt.group, got, err, tt.want)
			}
			for i, h := range tt.want {
				if r := d.StandbyRank(tt.group, strings.ToUpper(h)); r != i {
					t.Errorf("StandbyRank(%s) = %d, want %d", h, r, i)
				}
			}
		})
	}
	if r := d.StandbyRank("pair", "z.example.com"); r != -1 {
		t.Errorf("rank of a non-member %d, want -1", r)
	}
	if _, err := d.Order("nope"); !errors.Is(err, ErrUnknownGroup) {
		t.Errorf("Order of an unknown group: %v", err)
	}
	// Encoded and edited, the order stays.
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseData("/s", b)
	if err != nil {
		t.Fatal(err)
	}
	back.AddMembers("pair", []string{"y.example.com"})
	if err := back.MoveMember("pair", "b.example.com", "x.example.com"); err != nil {
		t.Fatal(err)
	}
	want := []string{"x.example.com", "a.example.com", "y.example.com"}
	if got, _ := back.Order("pair"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after encode and edits: %q, want %q", got, want)
	}
}
