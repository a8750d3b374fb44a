// Command switchman-metrics writes one job's node_exporter textfile. It is
// started by switchman after a job ends, when metrics_textfile_dir is set,
// with the directory as its argument and the finished run as JSON on its
// standard input; it prints nothing unless it fails. It is a separate
// binary so that switchman itself does not link the Prometheus libraries:
// see package metrics.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/acme/switchman/metrics"
)

func main() {
	if err := run(os.Args[1:], os.Stdin); err != nil {
		fmt.Fprintf(os.Stderr, "switchman-metrics: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader) error {
	if len(args) != 1 || args[0] == "" {
		return fmt.Errorf("usage: switchman-metrics DIR < RUN.json")
	}
	var r metrics.Run
	dec := json.NewDecoder(io.LimitReader(stdin, 1<<20))
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("read the run from stdin: %w", err)
	}
	return metrics.Write(args[0], &r)
}
