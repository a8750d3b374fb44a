package main

import (
	"encoding/json"
	"testing"
)

// TestStatusJSONEmpty checks that an idle fleet's status has every field
// as an empty list or object, never null.
func TestStatusJSONEmpty(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	r := e.run("status", "-o", "json")
	if r.code != 0 {
		t.Fatalf("status: exit %d %s", r.code, r.stderr)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &fields); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"locks", "queues", "semaphores", "halted", "paused", "runs"} {
		v, ok := fields[k]
		if !ok || (string(v) != "[]" && string(v) != "{}") {
			t.Errorf("%q is %s, want [] or {}", k, v)
		}
	}
}
