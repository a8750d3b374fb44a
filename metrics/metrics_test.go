package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func sample() *Run {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &Run{Lock: "build-report", Host: "h1.example.com", Group: `re"ports`, Start: start,
		Finish: start.Add(1500 * time.Millisecond), ExitCode: 3, DurationMS: 1500, MaxRSSKB: 2048,
		LastSuccess: start.Add(-time.Hour)}
}

// parse reads a textfile back with Prometheus' own parser: name -> value,
// and the labels of every sample.
func parse(t *testing.T, path string) (map[string]float64, []map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("Prometheus cannot parse %s: %v", path, err)
	}
	vals := map[string]float64{}
	var labels []map[string]string
	for name, fam := range fams {
		if fam.GetType().String() != "GAUGE" || len(fam.GetMetric()) != 1 {
			t.Errorf("%s: type %s with %d samples", name, fam.GetType(), len(fam.GetMetric()))
		}
		m := fam.GetMetric()[0]
		vals[name] = m.GetGauge().GetValue()
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		labels = append(labels, l)
	}
	return vals, labels
}

func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := sample()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "switchman_build-report.prom")
	vals, labels := parse(t, path)
	want := map[string]float64{
		"switchman_last_start_timestamp_seconds":   float64(r.Start.Unix()),
		"switchman_last_finish_timestamp_seconds":  float64(r.Start.Unix()) + 1.5,
		"switchman_last_success_timestamp_seconds": float64(r.LastSuccess.Unix()),
		"switchman_last_exit_status":               3,
		"switchman_last_duration_seconds":          1.5,
		"switchman_last_max_rss_bytes":             2048 * 1024,
	}
	if len(vals) != len(want) {
		t.Errorf("got %d metrics, want %d: %v", len(vals), len(want), vals)
	}
	for k, v := range want {
		if got, ok := vals[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, l := range labels {
		if l["lock"] != "build-report" || l["host"] != "h1.example.com" || l["group"] != `re"ports` {
			t.Errorf("labels %v", l)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v: the collector may run as another user", st.Mode(), err)
	}
}

func TestWriteNoSuccessYet(t *testing.T) {
	dir := t.TempDir()
	r := sample()
	r.LastSuccess = time.Time{}
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	vals, _ := parse(t, filepath.Join(dir, FileName(r.Lock)))
	if _, ok := vals["switchman_last_success_timestamp_seconds"]; ok {
		t.Error("a job that never succeeded reports a last success")
	}
}

func TestWriteRefusesBadRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Run)
	}{
		{"empty lock", func(r *Run) { r.Lock = "" }},
		{"slash in lock", func(r *Run) { r.Lock = "../etc/x" }},
		{"dot-dot lock", func(r *Run) { r.Lock = ".." }},
		{"no host", func(r *Run) { r.Host = "" }},
		{"no finish", func(r *Run) { r.Finish = time.Time{} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := sample()
			tt.edit(r)
			if err := Write(dir, r); err == nil {
				t.Fatal("accepted")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("wrote %d files", len(ents))
			}
		})
	}
}

// TestWriteKeepsOldFileOnFailure checks a failed write leaves the previous
// file whole and no temporary file behind.
func TestWriteKeepsOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sample()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName("build-report"))
	before, _ := os.ReadFile(path)
	// A directory where the file should be makes the rename fail.
	r := sample()
	r.Lock = "blocked"
	if err := os.Mkdir(filepath.Join(dir, FileName("blocked")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, r); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Error("the other job's file changed")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".switchman-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if err := Write(filepath.Join(dir, "missing"), sample()); err == nil || !strings.HasPrefix(err.Error(), "metrics: ") {
		t.Errorf("missing dir: %v", err)
	}
}
