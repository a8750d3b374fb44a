package status

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

func TestHolderName(t *testing.T) {
	tests := []struct {
		name string
		l    fleet.Lease
		want string
	}{
		{"this tool, one unit", fleet.Lease{Node: "1_4_0000000001", Count: 1, Info: lock.Info{Host: "h1", PID: 7}}, "h1:7"},
		{"this tool, three units", fleet.Lease{Node: "3_4_0000000002", Count: 3, Info: lock.Info{Host: "h1", PID: 7}}, "h1:7x3"},
		{"original", fleet.Lease{Node: "1_4_0000000003", Count: 1, Info: lock.Info{Host: "h2", PID: 9, Original: true}}, "h2:9(original)"},
		{"no host: the node's name", fleet.Lease{Node: "2_4_0000000004", Count: 2}, "2_4_0000000004x2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HolderName(tt.l); got != tt.want {
				t.Errorf("HolderName = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSemaphore(t *testing.T) {
	tests := []struct {
		name string
		ls   []fleet.Lease
		want Semaphore
	}{
		{"no holder", nil, Semaphore{Holders: []string{}}},
		{"two holders", []fleet.Lease{
			{Node: "1_5_0000000001", Count: 1, Total: 5, Info: lock.Info{Host: "h1", PID: 1}},
			{Node: "2_5_0000000002", Count: 2, Total: 5, Info: lock.Info{Host: "h2", PID: 2}},
		}, Semaphore{Used: 3, Total: 5, Holders: []string{"h1:1", "h2:2x2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := semaphore(tt.ls); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("semaphore = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestJobs(t *testing.T) {
	tests := []struct {
		name string
		snap Snapshot
		want []string
	}{
		{"empty", Snapshot{}, []string{}},
		{"every part names jobs, once each", Snapshot{
			Runs:   []fleet.Run{{Lock: "b", Host: "h1"}, {Lock: "b", Host: "h2"}},
			Locks:  []fleet.Holder{{Name: "a"}, {Name: "b"}},
			Halted: map[string]fleet.Halt{"c": {}},
			Paused: map[string]fleet.Pause{"d": {}},
		}, []string{"a", "b", "c", "d"}},
		{"a group pause names no job", Snapshot{Paused: map[string]fleet.Pause{fleet.PauseName("", "g"): {}}}, []string{}},
		{"a snapshot of one job", Snapshot{job: "x", Locks: []fleet.Holder{{Name: "y"}}}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.snap.Jobs(); !slices.Equal(got, tt.want) {
				t.Errorf("Jobs = %q, want %q", got, tt.want)
			}
		})
	}
}

// seed dials addr and writes a fleet under prefix through the store's own
// writers and, for the lease and queue nodes, directly: two jobs with run
// records and histories, one of them held, a halt, a job and a group
// pause, a heartbeat, a queue with two waiters and a semaphore with two
// holders.
func seed(t *testing.T, addr, prefix string) *fleet.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := fleet.Dial(ctx, lock.Options{Servers: []string{addr}, SessionTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second}, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s := c.Store()
	if _, err := s.InitPrefix([]byte(`{"groups":{"g":["h1"]}}`)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, job := range []string{"a", "b"} {
		r := &fleet.Run{Lock: job, Host: "h1", Group: "g", Start: now}
		if err := s.RecordStart(r); err != nil {
			t.Fatal(err)
		}
		r.Result, r.Finish = fleet.ResultSuccess, now
		if err := s.RecordFinish(r, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lock.NewMutex(c.Session(), prefix, "a").Acquire(ctx, lock.Info{Host: "h1", PID: 42}); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.SetHalt("b", fleet.Halt{Host: "h1", When: now, Result: "failure"}),
		s.SetPause("c", fleet.Pause{Who: "ops", When: now}),
		s.SetPause(fleet.PauseName("", "g"), fleet.Pause{Who: "ops", When: now}),
		s.Heartbeat(fleet.Beat{Host: "h1", Seen: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	conn, err := zktest.Connect([]string{addr}, 2*time.Second, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acl := zk.WorldACL(zk.PermAll)
	for _, p := range []string{"/queues", "/queues/q", "/semaphores", "/semaphores/db", "/semaphores/db/leases"} {
		if _, err := conn.Create(prefix+p, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	for _, n := range []struct{ path, data string }{
		{"/queues/q/w-0000000001", `{"host":"h1","pid":1}`},
		{"/queues/q/w-0000000002", `{"host":"h2","pid":2}`},
		{"/semaphores/db/leases/1_3_0000000001", `{"host":"h1","pid":1}`},
		{"/semaphores/db/leases/1_3_0000000002", "h2 2"},
	} {
		if _, err := conn.Create(prefix+n.path, []byte(n.data), 0, acl); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// parts lists what a snapshot holds, by part.
func parts(snap *Snapshot) Part {
	var p Part
	for _, x := range []struct {
		part Part
		has  bool
	}{
		{Locks, len(snap.Locks) > 0}, {Queues, len(snap.Queues) > 0}, {Semaphores, len(snap.Semaphores) > 0},
		{Halts, len(snap.Halted) > 0}, {Pauses, len(snap.Paused) > 0}, {Runs, len(snap.Runs) > 0},
		{Heartbeats, len(snap.Heartbeats) > 0}, {Histories, len(snap.Histories) > 0}, {Groups, snap.Data != nil},
	} {
		if x.has {
			p |= x.part
		}
	}
	return p
}

func TestRead(t *testing.T) {
	srv := zktest.Start(t)
	s := seed(t, srv.Addr, "/sw")
	all := Shown | Heartbeats | Histories | Groups
	tests := []struct {
		name  string
		job   string
		parts Part
		want  Part // the parts that come back filled
		check func(*Snapshot) string
	}{
		{"nothing asked, nothing read", "", 0, 0, nil},
		{"locks only", "", Locks, Locks, func(snap *Snapshot) string {
			if len(snap.Locks) != 1 || snap.Locks[0].Name != "a" || snap.Locks[0].PID != 42 || snap.Locks[0].Token == 0 {
				return "locks"
			}
			return ""
		}},
		{"what status shows", "", Shown, Shown, func(snap *Snapshot) string {
			if snap.Queues["q"] != 2 || len(snap.Runs) != 2 || snap.Runs[0].State != fleet.StateFinished {
				return "queues or runs"
			}
			want := Semaphore{Used: 2, Total: 3, Holders: []string{"h1:1", "h2:2(original)"}}
			if !reflect.DeepEqual(snap.Semaphores["db"], want) {
				return "semaphores"
			}
			return ""
		}},
		{"everything", "", all, all, func(snap *Snapshot) string {
			// c is only paused: it has a history, empty, like every job
			if !reflect.DeepEqual(keys(snap.Histories), []string{"a", "b", "c"}) || len(snap.Histories["a"]) != 1 ||
				snap.Histories["c"] == nil || snap.Data.Groups["g"][0] != "h1" || snap.Heartbeats["h1"].IsZero() {
				return "histories, groups or heartbeats"
			}
			return ""
		}},
		{"one job: no queues, no semaphores, markers all", "b", all, all &^ (Queues | Semaphores | Locks), func(snap *Snapshot) string {
			if len(snap.Runs) != 1 || snap.Runs[0].Lock != "b" || len(snap.Paused) != 2 ||
				!reflect.DeepEqual(keys(snap.Histories), []string{"b"}) {
				return "the job's runs, every pause, its history"
			}
			return ""
		}},
		{"one job, held", "a", Locks | Runs, Locks | Runs, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Read(s, tt.job, tt.parts)
			if err != nil {
				t.Fatal(err)
			}
			if got := parts(snap); got != tt.want {
				t.Errorf("filled parts %b, want %b", got, tt.want)
			}
			if tt.check != nil {
				if what := tt.check(snap); what != "" {
					t.Errorf("wrong %s: %+v", what, snap)
				}
			}
			if snap.Prefix != "/sw" || snap.Read.IsZero() {
				t.Errorf("prefix %q read at %v", snap.Prefix, snap.Read)
			}
		})
	}
}

// TestReadJSON checks the JSON of a snapshot, which `switchman status -o
// json` prints: the six parts status shows and nothing else, each [] or {}
// when empty, never null, whatever was read.
func TestReadJSON(t *testing.T) {
	srv := zktest.Start(t)
	s := seed(t, srv.Addr, "/sw")
	for _, tt := range []struct {
		name  string
		job   string
		parts Part
	}{
		{"nothing read", "", 0},
		{"everything", "", Shown | Heartbeats | Histories | Groups},
		{"a job nobody ran", "nobody", Shown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := Read(s, tt.job, tt.parts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			want := []string{"halted", "locks", "paused", "queues", "runs", "semaphores"}
			if got := keys(fields); !slices.Equal(got, want) {
				t.Errorf("keys %q, want %q", got, want)
			}
			for k, v := range fields {
				if string(v) == "null" {
					t.Errorf("%s is null", k)
				}
			}
		})
	}
}

// TestReadErrors checks that a read that fails is an error, not an empty
// part: group data that does not parse.
func TestReadErrors(t *testing.T) {
	srv := zktest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := fleet.Dial(ctx, lock.Options{Servers: []string{srv.Addr}, SessionTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second}, "/bad")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Store().InitPrefix([]byte(`{"groups":`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(c.Store(), "", Groups); err == nil {
		t.Error("damaged group data read without an error")
	}
	if _, err := Read(c.Store(), "", Locks); err != nil {
		t.Errorf("locks of a prefix with damaged group data: %v", err)
	}
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// TestReadClaims reads the newest claim of each scheduled job, and implies
// the registers.
func TestReadClaims(t *testing.T) {
	srv := zktest.Start(t)
	s := seed(t, srv.Addr, "/sw")
	conn, err := zktest.Connect([]string{srv.Addr}, 2*time.Second, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acl := zk.WorldACL(zk.PermAll)
	for _, n := range []struct{ path, data string }{
		{"/sw/" + lock.SlotsDir, ""},
		{"/sw/" + lock.SlotsDir + "/j", `{"schedule":"0 * * * *","zone":"UTC"}`},
		{"/sw/" + lock.SlotsDir + "/j/20261206T080000Z", `{"host":"old"}`},
		{"/sw/" + lock.SlotsDir + "/j/20261206T090000Z", `{"host":"new"}`},
		{"/sw/" + lock.SlotsDir + "/never", `{"schedule":"0 * * * *","zone":"UTC"}`},
	} {
		if _, err := conn.Create(n.path, []byte(n.data), 0, acl); err != nil && n.data != "" {
			t.Fatal(err)
		}
	}
	snap, err := Read(s, "", Claims)
	if err != nil {
		t.Fatal(err)
	}
	newest := map[string]string{}
	for _, j := range snap.Scheduled {
		newest[j.Lock] = string(j.Newest)
	}
	if len(newest) != 2 || newest["j"] != `{"host":"new"}` || newest["never"] != "" {
		t.Fatalf("newest claims %q, want j's newest and none for never", newest)
	}
}
