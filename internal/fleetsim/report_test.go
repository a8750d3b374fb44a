package main

import (
	"strings"
	"testing"
	"time"
)

// sampleReport is a report as a run of one local setup would leave it,
// with a busy run that cost the binary a write more than
// the in-process run, and a tick with failed runs.
func sampleReport() *report {
	same := []cost{{Writes: 0, Requests: 7}, {Writes: 0, Requests: 7}}
	return &report{
		Machine:  machine{Date: "2026-01-02 03:04 UTC", CPUs: 2, CPUModel: "cpu", Kernel: "6.1", GoVersion: "go1.26", LoadBefore: "1, 2, 3", LoadAfter: "4, 5, 6"},
		Command:  "go run ./internal/fleetsim -sizes 20x5",
		Fraction: 0.1,
		Child:    "/bin/true",
		Setups: []setupResult{{
			Setup:     setup{Local: true},
			ZooKeeper: "3.8.0",
			Check: []kindCost{
				{Kind: kindWin, Binary: []cost{{4, 11}, {4, 11}}, InProcess: []cost{{4, 11}, {4, 11}}},
				{Kind: kindBusy, Binary: []cost{{1, 7}, {1, 8}}, InProcess: same},
				{Kind: kindNotInGroup, Binary: same, InProcess: same},
			},
			Ticks: []tickResult{{
				Spec: spec{20, 5, 0.1},
				Tally: tally{Runs: 100, Decided: 97,
					Kinds:   map[kind]int{kindWin: 5, kindBusy: 5, kindNotInGroup: 87, kindFailed: 3},
					Failed:  map[string]int{"69": 2, "other (a|b)": 1},
					Latency: latency{N: 97, P50: 1500 * time.Millisecond, P99: 12 * time.Second, Max: 12500 * time.Millisecond}},
				Server:    totals{Zxid: 20, CPU: 600 * time.Millisecond, Counters: map[string]int64{"zk_connection_rejected": 4, "zk_connection_drop_count": 1, "zk_packets_received": 450}},
				Peaks:     peaks{Outstanding: 11, Connections: 78},
				Wall:      13 * time.Second,
				ClientCPU: 900 * time.Millisecond,
				Txns:      map[string]int{txnSessionCreate: 7, txnSessionClose: 7, txnMulti: 5, txnFailedMulti: 1},
			}},
			Splayed: []tickResult{{
				Spec:    spec{20, 5, 0.1},
				Options: tickOptions{Splay: 30 * time.Second},
				Tally: tally{Runs: 100, Decided: 100, Kinds: map[kind]int{kindWin: 9, kindBusy: 1, kindNotInGroup: 90},
					Latency:    latency{N: 100, P50: 40 * time.Millisecond, P99: 120 * time.Millisecond, Max: 130 * time.Millisecond},
					Waited:     latency{N: 100, P50: 200 * time.Millisecond, Max: 400 * time.Millisecond},
					FromOffset: latency{N: 100, P99: 450 * time.Millisecond},
					Settled:    latency{N: 98, P99: 60 * time.Millisecond, Max: 70 * time.Millisecond}},
				Server: totals{Zxid: 36, CPU: 2 * time.Second, Counters: map[string]int64{}},
				Wall:   30 * time.Second,
			}},
		}},
		Burst: &setupResult{
			Setup: setup{Local: true, MaxCnxns: 3},
			Ticks: []tickResult{{
				Spec:     spec{2, 1, 0.5},
				Tally:    tally{Runs: 2, Decided: 2, Kinds: map[kind]int{kindWin: 1, kindNotInGroup: 1}},
				Server:   totals{Counters: map[string]int64{"zk_connection_rejected": 5}},
				Outcomes: []outcome{{Kind: kindWin, Attempts: []time.Duration{0, 150 * time.Millisecond}}, {Kind: kindNotInGroup}},
			}},
		},
	}
}

func TestReport(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, tc := range []struct {
		name, want string
	}{
		{"load recorded", "before: 1, 2, 3; after: 4, 5, 6"},
		{"shared machine said", "**The machine is shared and busy**"},
		{"command to reproduce", "    go run ./internal/fleetsim -sizes 20x5\n"},
		{"same path holds", "| local sessions | winning | 4, 4 | 4, 4 | 11, 11 | 11, 11 | yes |"},
		{"same path broken", "| local sessions | busy | 1, 1 | 0, 0 | 7, 8 | 7, 7 | **NO** |"},
		{"tick row", "| local sessions | 20 × 5 | 100 | 97 | 5 / 5 / 87 | **69: 2; other (a\\|b): 1** | 1500 ms | 12.0 s | 12.5 s | 13.0 s | 20 | 0.20 | 0.20 | 4.50 | 900 ms | 600 ms | 11 | 78 | 4 / 1 |"},
		{"transactions per kind", "| busy | 0 |"},
		{"transactions by type", "| local sessions | 20 × 5 | 7 | 7 | 5 | 1 | 0 | 20 |"},
		{"paper cited", "Hunt et al., \"ZooKeeper: Wait-free coordination for Internet-scale systems\", USENIX ATC 2010, Table 1"},
		{"model row beyond the measured", "| 200 × 10 | 2000 | 40 | 14000 |"},
		{"extrapolation said", "Where it is an extrapolation"},
		{"server CPU per run", "| local sessions | 20 × 5 | 6 ms | 167 |"},
		{"splayed tick", "| local sessions | 20 × 5 | 30s | 100 | 100 | 9 / 1 / 90 | 0 | 40 ms | 120 ms | 130 ms | 200 ms / 400 ms | 450 ms | 98, 60 ms, 70 ms | 30.0 s | 36 | 2000 ms |"},
		{"burst", "| local sessions, maxClientCnxns=3 | 2 | 2 | 0 | 2 | 1 | 2 | 5 |"},
		{"burst histogram", "| 0 | 1 / 2 | 1 / 0 |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(out, tc.want) {
				t.Errorf("report lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestReportWithoutCheck(t *testing.T) {
	r := sampleReport()
	r.Setups[0].Check = nil
	var b strings.Builder
	if err := r.write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(not run: no `-bin`)", "No per-run cost: the same-path check did not run"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
