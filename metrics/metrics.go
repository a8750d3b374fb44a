// Package metrics writes a job's last-run metrics as a file for the
// Prometheus node_exporter textfile collector, with the Prometheus client
// libraries (they own escaping, HELP/TYPE lines and label order).
//
// The package is linked only into the switchman-metrics helper, never into
// switchman itself: the Prometheus libraries (and the protobuf runtime
// under them) cost several milliseconds of package initialisation and
// megabytes of mapped binary, which every cron run would pay; the helper
// pays them only for the jobs that ask for metrics, after the job ended.
package metrics

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Run is what the textfile reports of one finished run: the labels, then
// the gauges in the order gather writes them. It is only ever decoded: its
// JSON form is a subset of the run record switchman keeps in ZooKeeper
// (fleet.Run), so a run record can be handed over as it is.
type Run struct {
	Lock        string    `json:"lock"`
	Host        string    `json:"host"`
	Group       string    `json:"group,omitempty"`
	Start       time.Time `json:"start"`
	Finish      time.Time `json:"finish"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	ExitCode    int       `json:"exit_code"`
	DurationMS  int64     `json:"duration_ms"`
	MaxRSSKB    int64     `json:"max_rss_kb"`
}

// Validate reports what makes r unfit for a textfile: a lock name that
// cannot be part of a file name, or a missing host or time.
func (r *Run) Validate() error {
	switch {
	case r.Lock == "" || strings.ContainsAny(r.Lock, "/\x00") || r.Lock == "." || r.Lock == "..":
		return fmt.Errorf("metrics: bad lock name %q", r.Lock)
	case r.Host == "":
		return errors.New("metrics: no host")
	case r.Start.IsZero() || r.Finish.IsZero():
		return errors.New("metrics: no start or finish time")
	}
	return nil
}

// FileName is the name of the textfile for lock.
func FileName(lock string) string { return "switchman_" + lock + ".prom" }

// Write writes r to DIR/switchman_LOCK.prom. The file is written under a
// temporary name in dir and renamed over the old one, so the collector
// never reads half a file and a failed write leaves the old file intact.
func Write(dir string, r *Run) error {
	if err := r.Validate(); err != nil {
		return err
	}
	families, err := gather(r)
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
	// CreateTemp makes the file 0600; the collector may run as another user.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("metrics: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName(r.Lock))); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// gather builds the metric families of r in a private registry.
func gather(r *Run) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"lock": r.Lock, "group": r.Group, "host": r.Host}
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "switchman_" + name, Help: help, ConstLabels: labels})
		g.Set(v)
		reg.MustRegister(g)
	}
	gauge("last_start_timestamp_seconds", "Start of the last run.", seconds(r.Start))
	gauge("last_finish_timestamp_seconds", "Finish of the last run.", seconds(r.Finish))
	if !r.LastSuccess.IsZero() {
		gauge("last_success_timestamp_seconds", "Finish of the last successful run.", seconds(r.LastSuccess))
	}
	gauge("last_exit_status", "Exit status of the last run (128+N for signal N).", float64(r.ExitCode))
	gauge("last_duration_seconds", "Wall time of the last run.", float64(r.DurationMS)/1e3)
	gauge("last_max_rss_bytes", "Peak resident set size of the last run.", float64(r.MaxRSSKB)*1024)
	families, err := reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return families, nil
}

func seconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1e3 }
