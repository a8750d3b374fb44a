package notify

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// readmeFields returns the field names of the README's payload table.
func readmeFields(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### Notification payload\n")
	if !ok {
		t.Fatal("README has no Notification payload section")
	}
	var fields []string
	for _, line := range strings.Split(section, "\n")[3:] {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		fields = append(fields, name)
	}
	return fields
}

// TestPayloadSchema ties the payload to the README: a payload with every
// field set encodes exactly the documented fields, and its environment
// carries each of them.
func TestPayloadSchema(t *testing.T) {
	t.Parallel()
	full := Payload{Job: "j", Event: Failed, Host: "h", Slot: time.Unix(60, 0), Time: time.Unix(61, 0), ExitStatus: 1,
		Result: "failure", DurationMS: 5, Output: "o", OutputCut: true, FencingToken: 7, DashboardURL: JobLink("http://d", "j"), Test: true}
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	documented := readmeFields(t)
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(documented))
	if !slices.Equal(keys, want) {
		t.Errorf("payload fields %v, README documents %v", keys, want)
	}
	env := full.Env()
	for _, f := range documented {
		prefix := EnvPrefix + strings.ToUpper(f) + "="
		if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, prefix) }) {
			t.Errorf("environment lacks %s...: %v", prefix, env)
		}
	}
	if len(env) != len(documented) {
		t.Errorf("environment has %d entries, README documents %d fields: %v", len(env), len(documented), env)
	}
}

// TestEventsDocumented ties Events to the README's event table.
func TestEventsDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range Events {
		if !strings.Contains(string(b), "| `"+string(e)+"` |") {
			t.Errorf("README's event table lacks %q", e)
		}
	}
}

func TestJobLink(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, base, job, want string }{
		{"unset", "", "j", ""},
		{"plain", "https://d.example:8080", "backup", "https://d.example:8080/#job-backup"},
		{"trailing slash", "https://d.example/switchman/", "a b", "https://d.example/switchman/#job-a%20b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JobLink(tt.base, tt.job); got != tt.want {
				t.Errorf("JobLink(%q, %q) = %q, want %q", tt.base, tt.job, got, tt.want)
			}
		})
	}
}
