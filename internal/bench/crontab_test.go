package main

import "testing"

// TestMeasureCrontab checks that the generated scripts are valid METADATA
// and yield exactly the cron lines the bench expects, so that the
// benchmark times real generation rather than an error path.
func TestMeasureCrontab(t *testing.T) {
	r, err := measureCrontab(t.TempDir(), 60)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 66 {
		t.Errorf("entries = %d, want 66 (60 scripts, 6 of them sharded in two)", r.Entries)
	}
	if len(r.Times) != crontabRuns-1 || r.Bytes == 0 {
		t.Errorf("times = %d, bytes = %d: want %d timed runs and some output", len(r.Times), r.Bytes, crontabRuns-1)
	}
}
