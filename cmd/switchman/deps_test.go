package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeanBinary guards what switchman links: every cron run pays for each
// package's initialisation and for the pages of a bigger binary (see
// docs/BENCHMARKS.md). The Prometheus libraries live in the
// switchman-metrics helper, the man-page generator behind the gendocs tag.
func TestLeanBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list printed %d packages; expected the whole dependency list", len(deps))
	}
	banned := []string{"github.com/prometheus/", "google.golang.org/protobuf/", "github.com/spf13/cobra/doc",
		"github.com/russross/blackfriday", "net/http", "expvar"}
	for _, d := range deps {
		for _, b := range banned {
			if strings.HasPrefix(d, b) {
				t.Errorf("switchman links %s", d)
			}
		}
	}
	// The gendocs build still has the generator, so make deb keeps working.
	out, err = exec.Command("go", "list", "-tags", "gendocs", "-deps", ".").Output()
	if err != nil || !strings.Contains(string(out), "github.com/spf13/cobra/doc\n") {
		t.Errorf("the gendocs build lacks cobra/doc (%v)", err)
	}
}
