package history

import (
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"
)

// run builds a run of lock on host with pid, from start to end nanoseconds;
// end 0 means it has not ended.
func run(lock, host string, pid int, start, end int64) Run {
	r := Run{Lock: lock, Host: host, PID: pid, Start: ns(start), Extra: map[string]string{}}
	if end != 0 {
		r.End, r.Ended = ns(end), true
	}
	return r
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		name      string
		runs      []Run
		wantPairs [][2]int // pids of A and B
		wantDurs  []time.Duration
		worst     time.Duration
	}{
		{name: "none", runs: nil, worst: 0},
		{
			name:  "disjoint",
			runs:  []Run{run("l", "a", 1, 100, 200), run("l", "b", 2, 300, 400)},
			worst: 0,
		},
		{
			name:  "touching is not overlap",
			runs:  []Run{run("l", "a", 1, 100, 200), run("l", "b", 2, 200, 300)},
			worst: 0,
		},
		{
			name:      "partial overlap",
			runs:      []Run{run("l", "b", 2, 150, 300), run("l", "a", 1, 100, 200)},
			wantPairs: [][2]int{{1, 2}},
			wantDurs:  []time.Duration{50},
			worst:     50,
		},
		{
			name:      "containment",
			runs:      []Run{run("l", "a", 1, 100, 500), run("l", "b", 2, 200, 300)},
			wantPairs: [][2]int{{1, 2}},
			wantDurs:  []time.Duration{100},
			worst:     100,
		},
		{
			name:  "different locks never overlap",
			runs:  []Run{run("l1", "a", 1, 100, 500), run("l2", "a", 2, 200, 300)},
			worst: 0,
		},
		{
			name:  "no-lock runs ignored",
			runs:  []Run{run(NoLock, "a", 1, 100, 500), run(NoLock, "b", 2, 200, 300)},
			worst: 0,
		},
		{
			name:      "unended run overlaps everything after it",
			runs:      []Run{run("l", "a", 1, 100, 0), run("l", "b", 2, 1000, 1300), run("l", "c", 3, 50, 60)},
			wantPairs: [][2]int{{1, 2}},
			wantDurs:  []time.Duration{300},
			worst:     300,
		},
		{
			name:      "two unended runs overlap without bound",
			runs:      []Run{run("l", "a", 1, 100, 0), run("l", "b", 2, 200, 0)},
			wantPairs: [][2]int{{1, 2}},
			wantDurs:  []time.Duration{Unbounded},
			worst:     Unbounded,
		},
		{
			name: "chain of three, worst picked",
			runs: []Run{run("l", "a", 1, 1, 100), run("l", "b", 2, 90, 200), run("l", "c", 3, 120, 400)},
			wantPairs: [][2]int{
				{1, 2}, {2, 3},
			},
			wantDurs: []time.Duration{10, 80},
			worst:    80,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Overlaps(tt.runs)
			if len(got) != len(tt.wantPairs) {
				t.Fatalf("got %d overlaps %v, want %d", len(got), got, len(tt.wantPairs))
			}
			for i, o := range got {
				if o.A.PID != tt.wantPairs[i][0] || o.B.PID != tt.wantPairs[i][1] || o.Dur != tt.wantDurs[i] {
					t.Errorf("overlap %d = pids %d,%d dur %v; want %v dur %v", i, o.A.PID, o.B.PID, o.Dur, tt.wantPairs[i], tt.wantDurs[i])
				}
			}
			if w := WorstOverlap(tt.runs); w != tt.worst {
				t.Errorf("WorstOverlap = %v, want %v", w, tt.worst)
			}
		})
	}
}

func TestMaxConcurrency(t *testing.T) {
	withLease := func(r Run, res string, n int) Run {
		r.Extra = map[string]string{"res": res, "n": strconv.Itoa(n)}
		return r
	}
	key := func(r Run) string { return r.Extra["res"] }
	weight := func(r Run) int { n, _ := strconv.Atoi(r.Extra["n"]); return n }
	tests := []struct {
		name string
		runs []Run
		want map[string]int
	}{
		{name: "empty", want: map[string]int{}},
		{
			name: "weights add while concurrent",
			runs: []Run{
				withLease(run("l1", "a", 1, 100, 300), "db", 2),
				withLease(run("l2", "b", 2, 200, 400), "db", 3),
				withLease(run("l3", "c", 3, 350, 500), "db", 1),
			},
			want: map[string]int{"db": 5},
		},
		{
			name: "touching intervals do not add",
			runs: []Run{
				withLease(run("l1", "a", 1, 100, 200), "db", 2),
				withLease(run("l2", "b", 2, 200, 300), "db", 2),
			},
			want: map[string]int{"db": 2},
		},
		{
			name: "keys counted apart, empty key skipped",
			runs: []Run{
				withLease(run("l1", "a", 1, 100, 300), "db", 2),
				withLease(run("l2", "b", 2, 100, 300), "cpu", 4),
				withLease(run("l3", "c", 3, 100, 300), "", 9),
			},
			want: map[string]int{"db": 2, "cpu": 4},
		},
		{
			name: "unended run never releases",
			runs: []Run{
				withLease(run("l1", "a", 1, 100, 0), "db", 2),
				withLease(run("l2", "b", 2, 5000, 6000), "db", 1),
			},
			want: map[string]int{"db": 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaxConcurrency(tt.runs, key, weight)
			if !maps.Equal(got, tt.want) {
				t.Errorf("MaxConcurrency = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMaxUsageSeveralKeys(t *testing.T) {
	runs := []Run{run("l1", "a", 1, 100, 300), run("l2", "b", 2, 200, 400)}
	uses := func(r Run) map[string]int {
		if r.PID == 1 {
			return map[string]int{"db": 1, "cpu": 2}
		}
		return map[string]int{"cpu": 3}
	}
	got := MaxUsage(runs, uses)
	if want := map[string]int{"db": 1, "cpu": 5}; !maps.Equal(got, want) {
		t.Errorf("MaxUsage = %v, want %v", got, want)
	}
}

// moveSchedule: a and b in the group from 100, b moved out at 1000, back at 5000.
var moveSchedule = Schedule{
	{At: ns(100), Hosts: []string{"a", "b"}},
	{At: ns(1000), Hosts: []string{"a"}},
	{At: ns(5000), Hosts: []string{"a", "b"}},
}

func TestScheduleAllowed(t *testing.T) {
	tests := []struct {
		host string
		at   int64
		want bool
	}{
		{"a", 50, false}, {"a", 100, true}, {"b", 999, true}, {"b", 1000, false},
		{"b", 4999, false}, {"b", 5000, true}, {"c", 2000, false},
	}
	for _, tt := range tests {
		if got := moveSchedule.Allowed(tt.host, ns(tt.at)); got != tt.want {
			t.Errorf("Allowed(%s, %d) = %v, want %v", tt.host, tt.at, got, tt.want)
		}
	}
}

func TestOutsideGroup(t *testing.T) {
	const grace = 200
	tests := []struct {
		name string
		run  Run
		want bool
	}{
		{"inside group", run("l", "a", 1, 200, 3000), false},
		{"before the group existed", run("l", "a", 1, 50, 60), true},
		{"straddling the first change gets no grace", run("l", "a", 1, 90, 150), true},
		{"host never in group", run("l", "c", 1, 2000, 2100), true},
		{"stopped within grace of the move", run("l", "b", 1, 500, 1000+grace), false},
		{"still running after grace", run("l", "b", 1, 500, 1000+grace+1), true},
		{"started just after move, stopped within grace", run("l", "b", 1, 1010, 1100), false},
		{"started after grace", run("l", "b", 1, 1000+grace, 1000+grace+5), true},
		{"started after re-add", run("l", "b", 1, 5000, 6000), false},
		{"ended exactly at move", run("l", "b", 1, 500, 1000), false},
		{"unended across move", run("l", "b", 1, 500, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OutsideGroup([]Run{tt.run}, moveSchedule, grace)
			if (len(got) == 1) != tt.want {
				t.Errorf("OutsideGroup(%v) = %v, want violation %v", tt.run, got, tt.want)
			}
		})
	}
}

func TestReactionTimes(t *testing.T) {
	runs := []Run{
		run("l", "b", 1, 500, 1030),  // running at the move: 30
		run("l", "b", 2, 900, 1100),  // 100
		run("l", "b", 3, 1010, 1020), // started just after the move: 20
		run("l", "b", 4, 200, 900),   // ended before the move: none
		run("l", "a", 5, 500, 1500),  // host a not moved: none
		run("l", "b", 6, 4000, 6000), // outlived the re-add: none
		run("l", "b", 7, 800, 0),     // never ended: none
		run("l", "b", 8, 6000, 7000), // after re-add: none
		run("l", "b", 9, 1000, 1000), // zero-length: never ran outside the group
	}
	got := ReactionTimes(runs, moveSchedule)
	slices.Sort(got)
	want := []time.Duration{20, 30, 100}
	if !slices.Equal(got, want) {
		t.Errorf("ReactionTimes = %v, want %v", got, want)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{50, 10, 40, 20, 30, 60, 70, 80, 90, 100}
	orig := slices.Clone(ds)
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{0, 10}, {-5, 10}, {10, 10}, {11, 20}, {50, 50}, {90, 90}, {99, 100}, {100, 100}, {150, 100},
	}
	for _, tt := range tests {
		if got := Percentile(ds, tt.p); got != tt.want {
			t.Errorf("Percentile(p=%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if !slices.Equal(ds, orig) {
		t.Error("Percentile modified its input")
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(empty) = %v, want 0", got)
	}
	if got := Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("Percentile(single) = %v, want 7", got)
	}
}
