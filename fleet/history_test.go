package fleet

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestJobLogBounds: the history keeps the last keep runs and stays within
// MaxHistoryBytes by dropping the oldest failures' output first.
func TestJobLogBounds(t *testing.T) {
	t.Parallel()
	out := strings.Repeat("é", 2048) // 4 KB per failure
	for _, tt := range []struct {
		name        string
		keep, runs  int
		fail        bool
		wantRuns    int
		wantOutputs int // runs that keep their output, the newest
	}{
		{"fewer than keep", 50, 10, false, 10, 0},
		{"keep+10 successes", 50, 60, false, 50, 0},
		{"keep+10 small keep", 5, 15, false, 5, 0},
		{"outputs within the bound", 5, 15, true, 5, 5},
		{"outputs over the bound", 50, 60, true, 50, 14}, // 14 outputs of 4 KB and 50 runs fit in 64 KB
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l jobLog
			var b []byte
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range tt.runs {
				r := &Run{Host: "h1", Start: start.Add(time.Duration(i) * time.Minute), Outcome: Outcome{Result: ResultSuccess}}
				if tt.fail {
					r.Result, r.Output = "failure", out
				}
				var err error
				if b, err = l.appendRun(r, tt.keep); err != nil {
					t.Fatal(err)
				}
			}
			if len(b) > MaxHistoryBytes {
				t.Fatalf("history of %d bytes, bound %d", len(b), MaxHistoryBytes)
			}
			var got jobLog
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Runs) != tt.wantRuns {
				t.Fatalf("%d runs kept, want %d", len(got.Runs), tt.wantRuns)
			}
			if last := got.Runs[len(got.Runs)-1]; !last.Start.Equal(start.Add(time.Duration(tt.runs-1) * time.Minute)) {
				t.Fatalf("newest run kept starts %s", last.Start)
			}
			with := 0
			for i, r := range got.Runs {
				if r.Output != "" {
					with++
				} else if with > 0 {
					t.Fatalf("run %d lost its output while an older one kept it", i)
				}
			}
			if with != tt.wantOutputs {
				t.Fatalf("%d runs kept output, want %d", with, tt.wantOutputs)
			}
		})
	}
}
