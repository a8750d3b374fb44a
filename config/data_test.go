package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/testenv"
)

const sample = `{
  "groups": {
    "reports": ["a.example.com", "B.example.com."],
    "etl": "c.example.com",
    "all": ["reports", "etl", "d.example.com"],
    "loop1": ["loop2", "e.example.com"],
    "loop2": ["loop1"],
    "self": ["self", "f.example.com"]
  },
  "resources": ["db", "cpu-FQDN"],
  "owner": "ops"
}`

func TestResolve(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		group string
		want  []string
	}{
		{"reports", []string{"a.example.com", "b.example.com"}},
		{"etl", []string{"c.example.com"}},
		{"all", []string{"a.example.com", "b.example.com", "c.example.com", "d.example.com"}},
		{"loop1", []string{"e.example.com"}},
		{"loop2", []string{"e.example.com"}},
		{"self", []string{"f.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			got, err := d.Resolve(tt.group)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve(%q) = %v, %v; want %v", tt.group, got, err, tt.want)
			}
		})
	}
	if _, err := d.Resolve("nope"); !errors.Is(err, ErrUnknownGroup) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown group error = %v", err)
	}
	if got := d.Cycles(); !reflect.DeepEqual(got, []string{"loop1", "loop2", "self"}) {
		t.Errorf("Cycles = %v", got)
	}
	if !d.HasResource("db") || d.HasResource("cpu") {
		t.Error("HasResource wrong")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	d, err := ParseData("/s", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := ParseData("/s", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Groups, d2.Groups) || !reflect.DeepEqual(d.Resources, d2.Resources) || string(d2.Extra["owner"]) != `"ops"` {
		t.Errorf("round trip lost data:\n%s", b)
	}
}

func TestParseDataErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, input, want string }{
		{"not json", `{"groups":`, "not a JSON object"},
		{"array", `["a"]`, "not a JSON object"},
		{"groups not object", `{"groups":["a"]}`, `"groups" must be an object`},
		{"member number", `{"groups":{"g":5}}`, "groups.g"},
		{"member nested list", `{"groups":{"g":[["a"]]}}`, "groups.g"},
		{"bad host", `{"groups":{"g":["a b"]}}`, `"a b"`},
		{"bad group name", `{"groups":{"a/b":["h"]}}`, "group name"},
		{"resources not list", `{"resources":"db"}`, `"resources" must be a list`},
		{"resource with slash", `{"resources":["a/b"]}`, `"a/b"`},
		{"resource twice", `{"resources":["db","db"]}`, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseData("/switchman", []byte(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "/switchman: ") {
				t.Errorf("ParseData(%s) = %v, want error containing %q", tt.input, err, tt.want)
			}
		})
	}
	if d, err := ParseData("/s", nil); err != nil || len(d.Groups) != 0 {
		t.Errorf("empty data = %v, %v", d, err)
	}
}

func FuzzParseData(f *testing.F) {
	seeds := [][]byte{[]byte(sample), []byte(`{"groups":{"a":["a"]}}`), []byte(`{"groups":{"a":"b","b":"a"}}`)}
	parse := func(b []byte) (*Data, error) { return ParseData("/f", b) }
	testenv.FuzzParser(f, seeds, parse, nil, func(t *testing.T, _ []byte, d *Data) {
		for g := range d.Groups {
			if _, err := d.Resolve(g); err != nil {
				t.Fatalf("Resolve(%q) of parsed data: %v", g, err)
			}
		}
		_ = d.Cycles()
	})
}

func TestMarshalCompact(t *testing.T) {
	t.Parallel()
	d := &Data{Groups: map[string][]string{"b": {"h<1>.example.com"}, "a": {"b"}}}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"groups":{"a":["b"],"b":["h<1>.example.com"]},"resources":[]}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s (compact, keys sorted, no HTML escapes)", b, want)
	}
	p, err := d.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p), "\n  \"groups\": {") {
		t.Errorf("MarshalIndent = %s", p)
	}
}

func TestOriginalMismatches(t *testing.T) {
	t.Parallel()
	d := &Data{Groups: map[string][]string{
		"g":   {"VM", "vm.", "ok.example.com", "Sub"},
		"Sub": {"web1.example.com."},
	}}
	got := d.OriginalMismatches()
	want := []string{`group "Sub": member "web1.example.com."`, `group "g": member "VM"`, `group "g": member "vm."`}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %d entries (a subgroup named Sub is not a host)", got, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("entry %d %q, want prefix %q", i, got[i], w)
		}
	}
}
