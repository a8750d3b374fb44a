package leasebench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/zktest"
)

// The end-to-end run of Run is in cmd/switchman's tests, which build the
// binary; these test the measurements.

func TestMaxOverlap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spans []span
		want  int
	}{
		{"none", nil, 0},
		{"disjoint", []span{{0, 10}, {20, 30}}, 1},
		{"touching ends do not overlap", []span{{0, 10}, {10, 20}, {20, 30}}, 1},
		{"three at once", []span{{0, 10}, {1, 11}, {2, 12}, {11, 20}}, 3},
		{"nested", []span{{0, 100}, {10, 20}, {30, 40}, {35, 36}}, 3},
	}
	for _, tt := range tests {
		if got := maxOverlap(tt.spans); got != tt.want {
			t.Errorf("%s: maxOverlap = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestInversions(t *testing.T) {
	t.Parallel()
	if n := inversions([]grant{{1, 10}, {2, 11}, {3, 12}}); n != 0 {
		t.Errorf("in order: %d inversions", n)
	}
	if n := inversions([]grant{{1, 12}, {2, 11}, {3, 10}}); n != 3 {
		t.Errorf("reversed: %d inversions, want 3", n)
	}
}

func TestReadGrants(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "log")
	lines := []string{
		`{"level":"info","message":"leases held","queue_nodes":["/p/queues/r/a-0000000003"],"lease_nodes":["/p/semaphores/r/leases/1_3_0000000007"]}`,
		`{"level":"info","message":"START"}`,
		`not json`,
		`{"level":"info","message":"leases held","queue_nodes":["/p/queues/r/b-0000000001"],"lease_nodes":["/p/semaphores/r/leases/1_3_0000000002"]}`,
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gs, err := readGrants(p)
	if err != nil || len(gs) != 2 || gs[0] != (grant{3, 7}) || gs[1] != (grant{1, 2}) {
		t.Fatalf("readGrants = %v, %v", gs, err)
	}
}

func TestWriteConfigKeepsKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	from, to := filepath.Join(dir, "in.yaml"), filepath.Join(dir, "out.yaml")
	zktest.WriteConfig(t, from, zktest.SwitchmanConfig{Hosts: "h:1", Prefix: "/p", Logfile: "/old", Extra: []string{"tls:", "  ca: /x"}})
	if err := writeConfig(from, to, "/new.log"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(to)
	for _, want := range []string{"zkhosts: h:1", "prefix: /p", "logfile: /new.log", "loglevel: info", "ca: /x"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "/old") {
		t.Errorf("old logfile kept:\n%s", b)
	}
}
