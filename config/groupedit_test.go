package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestGroupEdits(t *testing.T) {
	t.Parallel()
	start := func() *Data {
		return &Data{Groups: map[string][]string{
			"web": {"a", "b", "c"},
			"all": {"web", "d"},
		}}
	}
	tests := []struct {
		name    string
		edit    func(d *Data) error
		want    map[string][]string // nil: unchanged
		wantErr string
	}{
		{"set replaces and drops repeats", func(d *Data) error { d.SetGroup("web", []string{"x", "y", "x"}); return nil },
			map[string][]string{"web": {"x", "y"}, "all": {"web", "d"}}, ""},
		{"set creates", func(d *Data) error { d.SetGroup("new", []string{"x"}); return nil },
			map[string][]string{"web": {"a", "b", "c"}, "all": {"web", "d"}, "new": {"x"}}, ""},
		{"add appends what is new", func(d *Data) error { d.AddMembers("web", []string{"b", "e", "e"}); return nil },
			map[string][]string{"web": {"a", "b", "c", "e"}, "all": {"web", "d"}}, ""},
		{"add creates", func(d *Data) error { d.AddMembers("db", []string{"x"}); return nil },
			map[string][]string{"web": {"a", "b", "c"}, "all": {"web", "d"}, "db": {"x"}}, ""},
		{"remove keeps order", func(d *Data) error { return d.RemoveMembers("web", []string{"c", "a"}) },
			map[string][]string{"web": {"b"}, "all": {"web", "d"}}, ""},
		{"remove all leaves an empty group", func(d *Data) error { return d.RemoveMembers("all", []string{"web", "d"}) },
			map[string][]string{"web": {"a", "b", "c"}, "all": {}}, ""},
		{"remove of a non-member changes nothing", func(d *Data) error { return d.RemoveMembers("web", []string{"a", "z"}) },
			nil, `"z" is not a member of group "web" (members: a, b, c)`},
		{"remove from an unknown group", func(d *Data) error { return d.RemoveMembers("db", []string{"a"}) },
			nil, `config: unknown group "db"`},
		{"move keeps the place", func(d *Data) error { return d.MoveMember("web", "b", "z") },
			map[string][]string{"web": {"a", "z", "c"}, "all": {"web", "d"}}, ""},
		{"move onto a member keeps it once", func(d *Data) error { return d.MoveMember("web", "c", "a") },
			map[string][]string{"web": {"a", "b"}, "all": {"web", "d"}}, ""},
		{"move of a non-member", func(d *Data) error { return d.MoveMember("web", "z", "y") },
			nil, `"z" is not a member of group "web" (members: a, b, c)`},
		{"move in an unknown group", func(d *Data) error { return d.MoveMember("db", "a", "b") },
			nil, `config: unknown group "db"`},
		{"delete", func(d *Data) error { return d.DeleteGroup("all") },
			map[string][]string{"web": {"a", "b", "c"}}, ""},
		{"delete of a subgroup in use", func(d *Data) error { return d.DeleteGroup("web") },
			nil, `group "web" is a member of group "all"; remove it there first`},
		{"delete of an unknown group", func(d *Data) error { return d.DeleteGroup("db") },
			nil, `config: unknown group "db"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := start()
			err := tt.edit(d)
			want := tt.want
			if want == nil {
				want = start().Groups
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			case strings.Contains(tt.wantErr, "unknown group") && !errors.Is(err, ErrUnknownGroup):
				t.Fatalf("error %v does not wrap ErrUnknownGroup", err)
			}
			if !reflect.DeepEqual(d.Groups, want) {
				t.Errorf("groups %v, want %v", d.Groups, want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		groups       map[string][]string
		want         string // the encoding, or the error
		wantWarnings []string
	}{
		{"clean", map[string][]string{"web": {"a.example.com"}, "all": {"web"}},
			`{"groups":{"all":["web"],"web":["a.example.com"]},"resources":[]}`, nil},
		{"bad member", map[string][]string{"web": {"a b"}}, `group "web": `, nil},
		{"bad group name", map[string][]string{"a/b": {"x"}}, "group name", nil},
		{"warnings", map[string][]string{"web": {"A.example.com"}, "empty": {}, "l1": {"l2"}, "l2": {"l1"}},
			`{"groups":{"empty":[],"l1":["l2"],"l2":["l1"],"web":["A.example.com"]},"resources":[]}`,
			[]string{
				`group "web": member "A.example.com" matches host "a.example.com" here (case and a final dot ignored) but not under the original, which compares exactly: write "a.example.com"`,
				"groups in a cycle of subgroups: l1, l2",
				`group "empty" resolves to no host: its jobs run nowhere`,
				`group "l1" resolves to no host: its jobs run nowhere`,
				`group "l2" resolves to no host: its jobs run nowhere`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, warnings, err := (&Data{Groups: tt.groups}).Encode("/p")
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) || !errors.As(err, new(*DataError)) {
					t.Errorf("error %v, want a DataError containing %q", err, tt.want)
				}
				return
			}
			if string(b) != tt.want || !reflect.DeepEqual(warnings, tt.wantWarnings) {
				t.Errorf("Encode = %s, %q; want %s, %q", b, warnings, tt.want, tt.wantWarnings)
			}
		})
	}
}

func TestCheckDataLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		readLen int
		size    int
		wantErr bool
	}{
		{"default limit, at it", 0, DefaultDataReadLen, false},
		{"default limit, over it", 0, DefaultDataReadLen + 1, true},
		{"configured limit, at it", 100, 100, false},
		{"configured limit, over it", 100, 101, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &Config{Path: "/etc/s.yaml", DataReadLen: tt.readLen}
			err := c.CheckDataLen(make([]byte, tt.size))
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckDataLen(%d bytes) = %v", tt.size, err)
			}
			if err != nil && (!errors.As(err, new(*DataError)) || !strings.Contains(err.Error(), "/etc/s.yaml") ||
				!strings.Contains(err.Error(), "--ignore-original-limit")) {
				t.Errorf("error %v names neither the config nor the way out", err)
			}
		})
	}
}

func TestPrettyData(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"normalised", `{"resources":[],"groups":{"g":"a"}}`, "{\n  \"groups\": {\n    \"g\": [\n      \"a\"\n    ]\n  },\n  \"resources\": []\n}"},
		{"empty as stored", "  ", "  "},
		{"invalid as stored", "{not json", "{not json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PrettyData("/p", []byte(tt.in)); got != tt.want {
				t.Errorf("PrettyData(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadDataFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := dir+"/good.json", dir+"/bad.json"
	if err := os.WriteFile(good, []byte(`{"groups":{"g":"a"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"groups":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, stdin string
		wantErr           string // empty: want group g
	}{
		{"file", good, "", ""},
		{"stdin", "-", `{"groups":{"g":["a"]}}`, ""},
		{"missing file", dir + "/none.json", "", "import: open " + dir + "/none.json"},
		{"invalid file names it", bad, "", bad + `: "groups" must be an object`},
		{"invalid stdin", "-", "[]", "-: group data is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ReadDataFile(tt.path, strings.NewReader(tt.stdin))
			switch {
			case tt.wantErr == "" && (err != nil || len(d.Groups["g"]) != 1):
				t.Errorf("ReadDataFile = %v, %v; want group g", d, err)
			case tt.wantErr != "" && (!errors.As(err, new(*DataError)) || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want a DataError starting %q", err, tt.wantErr)
			}
		})
	}
}
