package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/acme/switchman/fleet"
)

// metricsHelper is the binary that writes the textfile (package metrics).
// switchman does not link the Prometheus libraries itself: their package
// initialisation alone would add milliseconds to every cron run.
const metricsHelper = "switchman-metrics"

// metricsTimeout bounds the helper: it writes one small local file, so
// anything longer is a hung filesystem, and the job's exit must not wait
// on it.
const metricsTimeout = 10 * time.Second

// writeMetrics has the switchman-metrics helper write the job's last-run
// metrics to DIR/switchman_LOCK.prom for node_exporter's textfile
// collector (atomically: see metrics.Write).
func writeMetrics(dir string, r *fleet.Run) error {
	path := HelperPath(metricsHelper)
	if path == "" {
		return fmt.Errorf("metrics_textfile_dir is set but %s is not installed (beside switchman or in %s)", metricsHelper, HelperDir())
	}
	in, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), metricsTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, dir)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = bytes.NewReader(in), &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = errors.New(msg)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
