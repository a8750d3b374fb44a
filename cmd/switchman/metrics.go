package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/acme/switchman/lock"
)

// writeMetrics writes the job's last-run metrics to DIR/switchman_LOCK.prom
// for node_exporter's textfile collector. The file is written under a
// temporary name and renamed, so the collector never reads half a file.
func writeMetrics(dir string, r *lock.Run) error {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"lock": r.Lock, "group": r.Group, "host": r.Host}
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "switchman_" + name, Help: help, ConstLabels: labels})
		g.Set(v)
		reg.MustRegister(g)
	}
	gauge("last_start_timestamp_seconds", "Start of the last run.", float64(r.Start.UnixMilli())/1e3)
	gauge("last_finish_timestamp_seconds", "Finish of the last run.", float64(r.Finish.UnixMilli())/1e3)
	if !r.LastSuccess.IsZero() {
		gauge("last_success_timestamp_seconds", "Finish of the last successful run.", float64(r.LastSuccess.UnixMilli())/1e3)
	}
	gauge("last_exit_status", "Exit status of the last run (128+N for signal N).", float64(r.ExitCode))
	gauge("last_duration_seconds", "Wall time of the last run.", float64(r.DurationMS)/1e3)
	gauge("last_max_rss_bytes", "Peak resident set size of the last run.", float64(r.MaxRSSKB)*1024)
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".switchman-*.prom.tmp")
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	enc := expfmt.NewEncoder(tmp, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			tmp.Close()
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, "switchman_"+r.Lock+".prom"))
}
