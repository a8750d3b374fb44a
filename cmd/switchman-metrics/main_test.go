package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/metrics"
)

// record is a finished run record as switchman keeps it and hands it over.
func record() *fleet.Run {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &fleet.Run{Lock: "build-report", Host: "h1.example.com", Group: "reports", State: fleet.StateFinished,
		PID: 4242, Start: start, Outcome: fleet.Outcome{Finish: start.Add(1500 * time.Millisecond), ExitCode: 3,
			Result: "failure", DurationMS: 1500, MaxRSSKB: 2048}, LastSuccess: start.Add(-time.Hour), Token: 17}
}

// TestRunRecordDecodes: the JSON of a run record fills every field of
// metrics.Run (the two types are kept apart so that the helper does not
// link the ZooKeeper client).
func TestRunRecordDecodes(t *testing.T) {
	r := record()
	in, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got metrics.Run
	if err := json.Unmarshal(in, &got); err != nil {
		t.Fatal(err)
	}
	want := metrics.Run{Lock: r.Lock, Host: r.Host, Group: r.Group, Start: r.Start, Finish: r.Finish,
		LastSuccess: r.LastSuccess, ExitCode: r.ExitCode, DurationMS: r.DurationMS, MaxRSSKB: r.MaxRSSKB}
	if got != want {
		t.Errorf("decoded %+v\nwant    %+v", got, want)
	}
}

// TestRun writes the textfile of a run record read from stdin.
func TestRun(t *testing.T) {
	in, err := json.Marshal(record())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := run([]string{dir}, strings.NewReader(string(in))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, metrics.FileName("build-report")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"switchman_last_exit_status{", "} 3\n", "switchman_last_max_rss_bytes{", "} 2.097152e+06\n"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("textfile lacks %q:\n%s", s, b)
		}
	}
	if err := run(nil, strings.NewReader(string(in))); err == nil {
		t.Error("run without DIR: no usage error")
	}
}
