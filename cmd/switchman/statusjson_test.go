package main

import (
	"encoding/json"
	"strconv"
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

// TestStatusJSONHeldLock checks what status -o json says of a lock this
// tool holds: its lock node's fields (start, not a copy named otherwise),
// its name and fencing token, and no "original".
func TestStatusJSONHeldLock(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{}}`)
	h := e.hold("held", "--lockname", "held-job", "--expected-duration", "1m")
	defer h.finish(t)
	r := e.run("status", "-o", "json", "held-job")
	if r.code != 0 {
		t.Fatalf("status: exit %d %s", r.code, r.stderr)
	}
	var st struct {
		Locks []map[string]json.RawMessage `json:"locks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r.stdout)
	}
	if len(st.Locks) != 1 {
		t.Fatalf("locks = %d, want 1:\n%s", len(st.Locks), r.stdout)
	}
	l := st.Locks[0]
	for _, k := range []string{"lock", "host", "pid", "start", "command", "expected_duration", "fencing_token"} {
		if _, ok := l[k]; !ok {
			t.Errorf("the held lock lacks %q: %s", k, r.stdout)
		}
	}
	for _, k := range []string{"since", "original", "Info"} {
		if _, ok := l[k]; ok {
			t.Errorf("the held lock has %q: %s", k, r.stdout)
		}
	}
	if string(l["lock"]) != `"held-job"` || string(l["pid"]) != strconv.Itoa(h.Process.Pid) {
		t.Errorf("lock %s pid %s, want \"held-job\" and %d", l["lock"], l["pid"], h.Process.Pid)
	}
}
