package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestNum(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"not a number", math.NaN(), "n/a"},
		{"whole milliseconds keep their decimals", 3, "3.00"},
		{"small", 2.345, "2.35"},
		{"tens", 45.67, "45.7"},
		{"hundreds", 1234.5, "1234"},
		{"negative", -3.5, "-3.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := num(tt.in); got != tt.want {
				t.Errorf("num(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRowMarkdown(t *testing.T) {
	tests := []struct {
		name string
		row  row
		want string
	}{
		{"target met", row{Name: "x", Unit: "ms", S: summarize([]float64{1, 2}), Target: "< 5", Met: met(true)},
			"| x | ms | 2 | 1.00 | 2.00 | 2.00 | 2.00 | < 5 | yes |\n"},
		{"a count", row{Name: "c", Unit: "runs", S: summarize([]float64{200})},
			"| c | runs | 1 | 200 | 200 | 200 | 200 |  |  |\n"},
		{"target missed", row{Name: "x", Unit: "ms", S: summarize([]float64{9}), Target: "< 5", Met: met(false)},
			"| x | ms | 1 | 9.00 | 9.00 | 9.00 | 9.00 | < 5 | **NO** |\n"},
		{"note with a pipe", row{Name: "y", Note: "failed: a|b", Met: met(false)},
			"| y | | | failed: a\\|b | | | |  | **NO** |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.row.markdown(); got != tt.want {
				t.Errorf("markdown =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestReportFailed(t *testing.T) {
	mk := func(rows ...row) *report { return &report{Sections: []section{{Rows: rows}}} }
	tests := []struct {
		name         string
		r            *report
		want, strict bool
	}{
		{"all met", mk(row{Met: met(true)}, row{}), false, false},
		{"speed target missed", mk(row{Met: met(true)}, row{Met: met(false)}), false, true},
		{"correctness check missed", mk(row{Met: met(false), Hard: true}), true, true},
		{"measurement failed", mk(failedRow("x", os.ErrClosed)), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.failed(false); got != tt.want {
				t.Errorf("failed(false) = %v, want %v", got, tt.want)
			}
			if got := tt.r.failed(true); got != tt.strict {
				t.Errorf("failed(true) = %v, want %v", got, tt.strict)
			}
		})
	}
}

func TestReportWrite(t *testing.T) {
	r := &report{
		Machine:  machine{Date: "2030-01-02 03:04 UTC", CPUs: "2"},
		Command:  "go run ./internal/bench -bin bin/switchman",
		Sections: []section{{Title: "1. Overhead", Rows: []row{{Name: "bare", Unit: "ms", S: summarize([]float64{1})}}}},
		Notes:    []string{"a note"},
	}
	var b bytes.Buffer
	if err := r.write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2030-01-02 03:04 UTC", "    go run ./internal/bench -bin bin/switchman\n",
		"| CPUs (nproc) | 2 |", "| **1. Overhead** |", "| bare | ms | 1 | 1.00 |", "- a note\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestMntrValue(t *testing.T) {
	out := "zk_version\t3.8.0\nzk_packets_received\t1234\nzk_packets_sent\t99\n"
	tests := []struct {
		name, key string
		want      int64
		wantErr   bool
	}{
		{"present", "zk_packets_received", 1234, false},
		{"prefix of another key is not a match", "zk_packets", 0, true},
		{"not a number", "zk_version", 0, true},
		{"missing", "zk_nothing", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mntrValue(out, tt.key)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("mntrValue(%q) = %d, %v; want %d, error %v", tt.key, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestProcStatus(t *testing.T) {
	st, err := procStatus(os.Getpid(), memFields...)
	if err != nil {
		t.Fatal(err)
	}
	if st["VmRSS"] <= 0 || st["VmHWM"] < st["VmRSS"] {
		t.Errorf("implausible memory of this process: %v", st)
	}
	if _, err := procStatus(os.Getpid(), "NoSuchField"); err == nil {
		t.Error("a missing field gave no error")
	}
}

func TestSelectPhases(t *testing.T) {
	tests := []struct {
		name    string
		list    string
		want    []string
		wantErr bool
	}{
		{"all by default", "", phaseNames, false},
		{"two", "herd, memory", []string{"memory", "herd"}, false},
		{"unknown", "herd,speed", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := selectPhases(tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			var got []string
			for _, n := range phaseNames {
				if sel[n] {
					got = append(got, n)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("selected %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	good := options{Rounds: 1, Trials: 1, MemoryRuns: 1, FenceTrials: 1, Herd: 2, HerdRounds: 1, Burst: 1, Scripts: 1, Jobs: 1, LeaseRounds: 1}
	if err := good.validate(); err != nil {
		t.Fatalf("minimal options refused: %v", err)
	}
	bad := good
	bad.Herd = 1
	err := bad.validate()
	if err == nil || !strings.Contains(err.Error(), "-herd 1") {
		t.Errorf("a herd of one: error %v, want one naming -herd 1", err)
	}
}

func TestBurstRows(t *testing.T) {
	round := func(ran int, all time.Duration) herdRound { return herdRound{N: 10, Ran: ran, All: all} }
	tests := []struct {
		name      string
		switchman []herdRound
		wantEvery bool
		wantRatio float64
	}{
		{"every job ran", []herdRound{round(10, 400*time.Millisecond), round(10, 400*time.Millisecond)}, true, 3},
		{"one round short of a job", []herdRound{round(10, 400*time.Millisecond), round(9, 400*time.Millisecond)}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rounds := map[string][]herdRound{
				herdSwitchman: tt.switchman,
				herdFloor:     {round(10, 200*time.Millisecond)},
				burstBare:     {round(10, 100*time.Millisecond)},
			}
			rows := burstRows(10, rounds, map[string]error{})
			var every, ratio *row
			for i := range rows {
				switch {
				case rows[i].Name == "switchman: jobs run per burst":
					every = &rows[i]
				case strings.HasPrefix(rows[i].Name, "(switchman burst − bare burst)"):
					ratio = &rows[i]
				}
			}
			if every == nil || ratio == nil {
				t.Fatalf("rows lack the check or the ratio: %+v", rows)
			}
			if *every.Met != tt.wantEvery || !every.Hard {
				t.Errorf("jobs run: met %v hard %v, want met %v and hard", *every.Met, every.Hard, tt.wantEvery)
			}
			if ratio.S.Median != tt.wantRatio || *ratio.Met {
				t.Errorf("ratio %v (met %v), want %v, not met", ratio.S.Median, *ratio.Met, tt.wantRatio)
			}
		})
	}
	// Without the floor, its failure is a row of its own and no ratio is made up.
	rows := burstRows(10, map[string][]herdRound{herdSwitchman: {round(10, time.Second)}, burstBare: {round(10, time.Second)}},
		map[string]error{herdFloor: errors.New("no build")})
	failed := 0
	for _, r := range rows {
		if strings.HasPrefix(r.Name, "(switchman burst") {
			t.Errorf("a ratio without the floor: %+v", r)
		}
		if strings.Contains(r.Name, "floor program") && r.Hard && r.Met != nil && !*r.Met {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("the floor's failure is in %d rows, want 1: %+v", failed, rows)
	}
}
