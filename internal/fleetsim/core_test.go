package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/lock"
)

func TestParseSizes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		fraction float64
		want     []spec
		wantErr  bool
	}{
		{"one", "200x10", 0.1, []spec{{200, 10, 0.1}}, false},
		{"several with spaces", "4x2, 20x10", 1, []spec{{4, 2, 1}, {20, 10, 1}}, false},
		{"no x", "200", 0.1, nil, true},
		{"zero hosts", "0x10", 0.1, nil, true},
		{"not a number", "ax10", 0.1, nil, true},
		{"empty item", "4x2,", 0.1, nil, true},
		{"fraction zero", "4x2", 0, nil, true},
		{"fraction above one", "4x2", 1.5, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSizes(tc.in, tc.fraction)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseSizes(%q, %g) error %v, want error %v", tc.in, tc.fraction, err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("parseSizes(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSpecGroups(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        spec
		job      int
		members  []int
		expected map[kind]int
	}{
		{"a tenth of 20", spec{20, 5, 0.1}, 1, []int{2, 3}, map[kind]int{kindWin: 5, kindBusy: 5, kindNotInGroup: 90}},
		{"at least one host", spec{4, 2, 0.1}, 1, []int{1}, map[kind]int{kindWin: 2, kindBusy: 0, kindNotInGroup: 6}},
		{"groups wrap around", spec{5, 3, 0.4}, 2, []int{4, 0}, map[kind]int{kindWin: 3, kindBusy: 3, kindNotInGroup: 9}},
		{"every host", spec{3, 2, 1}, 1, []int{0, 1, 2}, map[kind]int{kindWin: 2, kindBusy: 4, kindNotInGroup: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.members(tc.job); !slices.Equal(got, tc.members) {
				t.Errorf("members(%d) = %v, want %v", tc.job, got, tc.members)
			}
			exp := tc.s.expected()
			sum := 0
			for k, n := range tc.expected {
				if exp[k] != n {
					t.Errorf("expected()[%s] = %d, want %d", k, exp[k], n)
				}
				sum += n
			}
			if sum != tc.s.Runs() {
				t.Errorf("kinds add up to %d, runs %d", sum, tc.s.Runs())
			}
		})
	}
}

func TestGroupData(t *testing.T) {
	b, err := spec{Hosts: 4, Jobs: 2, Fraction: 0.5}.groupData()
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Groups map[string][]string }
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("group data %s: %v", b, err)
	}
	want := map[string][]string{
		"job-000": {"host-00000.fleet", "host-00001.fleet"},
		"job-001": {"host-00002.fleet", "host-00003.fleet"},
	}
	for g, hosts := range want {
		if !slices.Equal(got.Groups[g], hosts) {
			t.Errorf("group %s = %v, want %v", g, got.Groups[g], hosts)
		}
	}
	if len(got.Groups) != len(want) {
		t.Errorf("groups %v, want %d of them", got.Groups, len(want))
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want kind
		ok   bool
	}{
		{"START", kindWin, true},
		{"lock busy; not running", kindBusy, true},
		{"host not in group; not running", kindNotInGroup, true},
		{"paused; not running", kindOtherSkip, true},
		{"started recently elsewhere; not running", kindOtherSkip, true},
		{"FINISH", "", false},
		{"start", "", false},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			got, ok := kindOf(tc.msg)
			if got != tc.want || ok != tc.ok {
				t.Errorf("kindOf(%q) = %q, %v; want %q, %v", tc.msg, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestLatencyOf(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want latency
	}{
		{"empty", nil, latency{}},
		{"one", ms(7), latency{1, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond}},
		{"nearest rank of four", ms(4, 1, 3, 2), latency{4, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}},
		{"hundred", ms(hundred...), latency{100, 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := latencyOf(tc.in); got != tc.want {
				t.Errorf("latencyOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTallyOf(t *testing.T) {
	outs := []outcome{
		{Kind: kindWin, Latency: 30 * time.Millisecond, Status: "0"},
		{Kind: kindBusy, Latency: 10 * time.Millisecond, Status: "0"},
		{Kind: kindNotInGroup, Latency: 20 * time.Millisecond, Status: "0"},
		{Kind: kindFailed, Latency: time.Second, Status: "69"},
		{Kind: kindFailed, Latency: time.Second, Status: "69"},
		{Kind: kindFailed, Latency: time.Second, Status: "71"},
	}
	got := tallyOf(outs)
	if got.Runs != 6 || got.Decided != 3 {
		t.Errorf("runs %d decided %d, want 6 and 3", got.Runs, got.Decided)
	}
	if got.Failed["69"] != 2 || got.Failed["71"] != 1 || !slices.Equal(got.failedStatuses(), []string{"69", "71"}) {
		t.Errorf("failed %v, want 69: 2, 71: 1", got.Failed)
	}
	if got.Latency.Max != 30*time.Millisecond || got.Latency.N != 3 {
		t.Errorf("latency %+v: want the decided runs only", got.Latency)
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, "0"},
		{"child's own status", &exitcode.Error{Code: 3}, "3"},
		{"unreachable", fmt.Errorf("connect: %w", lock.ErrUnreachable), "69"},
		{"no prefix", lock.ErrNoPrefix, "69"},
		{"anything else, by its words", errors.New("one two three four five six seven eight nine"), "other (one two three four five six seven eight …)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusOf(tc.err); got != tc.want {
				t.Errorf("statusOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestParseMntr(t *testing.T) {
	got := parseMntr("zk_version\t3.8.0-x, built\nzk_outstanding_requests\t12\nzk_avg_latency\t0.5\nnot a line\nzk_connection_rejected\t3\n")
	want := map[string]int64{"zk_outstanding_requests": 12, "zk_connection_rejected": 3}
	if len(got) != len(want) {
		t.Errorf("parseMntr = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
}

func TestParseCPU(t *testing.T) {
	fields := func(comm string) string {
		return "42 (" + comm + ") S 1 42 42 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 30 0 1000 0 0"
	}
	for _, tc := range []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"plain", fields("java"), 3 * time.Second, false},
		{"name with spaces and parentheses", fields("a) b (c"), 3 * time.Second, false},
		{"too short", "42 (java) S 1 2", 0, true},
		{"not a number", "42 (java) S 1 42 42 0 -1 4194304 100 0 0 0 x 50 0", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCPU(tc.stat)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseCPU = %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestSetupsOf(t *testing.T) {
	for _, tc := range []struct {
		name      string
		modes     string
		observers int
		want      []string
		wantErr   bool
	}{
		{"both", "global,local", 0, []string{"global sessions", "local sessions"}, false},
		{"observers add a setup", "global", 2, []string{"global sessions", "local sessions, 2 observers"}, false},
		{"unknown kind", "global,remote", 0, nil, true},
		{"negative observers", "local", -1, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := setupsOf(tc.modes, tc.observers)
			if (err != nil) != tc.wantErr {
				t.Fatalf("setupsOf error %v, want error %v", err, tc.wantErr)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.name())
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("setups %v, want %v", names, tc.want)
			}
		})
	}
}

// issueCosts are the per-run costs measured by zxid before local
// sessions: 4 writes for a winner, 2 for every skip.
var issueCosts = perRun{
	Writes:   map[kind]float64{kindWin: 4, kindBusy: 2, kindNotInGroup: 2},
	Requests: map[kind]float64{kindWin: 11, kindBusy: 7, kindNotInGroup: 7},
}

func TestModel(t *testing.T) {
	r3 := paperRates[0]
	for _, tc := range []struct {
		name          string
		p             perRun
		s             spec
		writes, other float64
		seconds       float64
	}{
		// 20 hosts × 20 jobs, one host per group: 20 × 4 + 380 × 2 = 840,
		// the issue's figure for default sessions.
		{"issue's global tick", issueCosts, spec{20, 20, 0.05}, 840, 20*7 + 380*5, 840/r3.Writes + (20*7+380*5)/r3.Reads},
		{"skips free", perRun{Writes: map[kind]float64{kindWin: 4}, Requests: map[kind]float64{kindWin: 4, kindBusy: 3, kindNotInGroup: 3}},
			spec{20, 20, 0.05}, 80, 380 * 3, 80/r3.Writes + 380*3/r3.Reads},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.p.loadOf(tc.s)
			if l.Writes != tc.writes || l.Requests-l.Writes != tc.other {
				t.Errorf("load %+v: want %v writes, %v other requests", l, tc.writes, tc.other)
			}
			if got := l.seconds(r3); math.Abs(got-tc.seconds) > 1e-9 {
				t.Errorf("seconds = %v, want %v", got, tc.seconds)
			}
		})
	}
}

func TestMaxHosts(t *testing.T) {
	r3 := paperRates[0]
	h := issueCosts.maxHosts(0.1, r3, 3)
	fits := func(h int) bool { return issueCosts.loadOf(spec{h, modelJobs, 0.1}).seconds(r3) <= 3 }
	if !fits(h) || fits(h+1) {
		t.Errorf("maxHosts = %d: fits(%d) = %v, fits(%d) = %v; want the last that fits", h, h, fits(h), h+1, fits(h+1))
	}
	free := perRun{Writes: map[kind]float64{}, Requests: map[kind]float64{}}
	if got := free.maxHosts(0.1, r3, 3); got != modelHostsLimit {
		t.Errorf("maxHosts of free runs = %d, want the limit %d", got, modelHostsLimit)
	}
	if got := issueCosts.maxHosts(0.1, r3, 0); got != 0 {
		t.Errorf("maxHosts with no time = %d, want 0", got)
	}
	if o := r3.withObservers(3); o.Reads != 2*r3.Reads || o.Writes != r3.Writes {
		t.Errorf("3 servers + 3 observers = %+v: want twice the reads, the same writes", o)
	}
}

func TestSame(t *testing.T) {
	win := []cost{{4, 11}, {4, 11}, {4, 11}}
	for _, tc := range []struct {
		name              string
		binary, inProcess []cost
		want              bool
	}{
		{"equal", win, win, true},
		{"one round with a ping", win, []cost{{4, 11}, {4, 12}, {4, 11}}, true},
		{"a write more every round", win, []cost{{5, 12}, {5, 12}, {5, 12}}, false},
		{"a request more in most rounds", win, []cost{{4, 12}, {4, 12}, {4, 11}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (kindCost{Kind: kindWin, Binary: tc.binary, InProcess: tc.inProcess}).same(); got != tc.want {
				t.Errorf("same() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTxnType(t *testing.T) {
	for _, tc := range []struct {
		name string
		txn  zktest.Txn
		want string
	}{
		{"global session or upgrade", zktest.Txn{Type: "createSession", Rest: "10000"}, txnSessionCreate},
		{"close", zktest.Txn{Type: "closeSession", Rest: "v{}"}, txnSessionClose},
		{"lock create", zktest.Txn{Type: "multi", Rest: "create:   /fleet/locks/job-001"}, txnMulti},
		{"lock create that met the winner's node", zktest.Txn{Type: "multi", Rest: "error:\x00\x00;error:"}, txnFailedMulti},
		{"a single failed operation", zktest.Txn{Type: "error", Rest: "-101"}, txnOther},
		{"heartbeat", zktest.Txn{Type: "setData", Rest: "/fleet/hosts/h"}, txnOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := txnType(tc.txn); got != tc.want {
				t.Errorf("txnType(%+v) = %q, want %q", tc.txn, got, tc.want)
			}
		})
	}
}

func TestRaced(t *testing.T) {
	alone := perRun{
		Writes:   map[kind]float64{kindWin: 4, kindBusy: 0, kindNotInGroup: 0},
		Requests: map[kind]float64{kindWin: 11, kindBusy: 7, kindNotInGroup: 7},
	}
	tick := func(s spec, win, busy, notIn, failed int, zxid int64) tickResult {
		return tickResult{Spec: s, Server: totals{Zxid: zxid},
			Tally: tally{Kinds: map[kind]int{kindWin: win, kindBusy: busy, kindNotInGroup: notIn, kindFailed: failed}}}
	}
	small := tick(spec{20, 5, 0.1}, 5, 5, 90, 0, 35)
	for _, tc := range []struct {
		name     string
		ticks    []tickResult
		ok       bool
		from     spec
		writes   float64
		requests float64
	}{
		{"from the one tick", []tickResult{small}, true, small.Spec, 3, 8},
		{"the largest without a failure", []tickResult{small, tick(spec{100, 5, 0.1}, 5, 45, 450, 0, 155), tick(spec{200, 5, 0.1}, 5, 95, 899, 1, 900)},
			true, spec{100, 5, 0.1}, 3, 8},
		{"no tick without a failure", []tickResult{tick(spec{20, 5, 0.1}, 5, 5, 89, 1, 35)}, false, spec{}, 0, 7},
		{"no busy run", []tickResult{tick(spec{4, 2, 0.1}, 2, 0, 6, 0, 8)}, false, spec{}, 0, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, from, ok := alone.raced(tc.ticks)
			if ok != tc.ok || from != tc.from || q.Writes[kindBusy] != tc.writes || q.Requests[kindBusy] != tc.requests {
				t.Errorf("raced = busy %v writes, %v requests, from %v, ok %v; want %v, %v, %v, %v",
					q.Writes[kindBusy], q.Requests[kindBusy], from, ok, tc.writes, tc.requests, tc.from, tc.ok)
			}
			if alone.Writes[kindBusy] != 0 || alone.Requests[kindBusy] != 7 {
				t.Errorf("raced changed its receiver: %+v", alone)
			}
		})
	}
}
