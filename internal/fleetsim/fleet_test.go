package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
	"github.com/acme/switchman/supervise"
)

// testSettle is the tests' wait after a tick: a tiny fleet on an idle
// ensemble leaves no session to expire, only closes a moment late.
const testSettle = 2 * time.Second

// TestMain lets the test binary be what the simulator starts: the job's
// shim (no switchman-shim is installed beside a test binary) and a tick's
// worker.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	if isWorker, code := workerMain(os.Args[1:]); isWorker {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// needZooKeeper fails the test under CI, and skips it elsewhere, when
// ZooKeeper is not installed. It runs under -short too: the smoke test is
// how every CI run fires a fleet.
func needZooKeeper(t *testing.T) {
	t.Helper()
	if err := zktest.EnsureInstalled(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ZooKeeper unavailable (failing, not skipping, because CI is set): %v", err)
		}
		t.Skipf("ZooKeeper unavailable: %v", err)
	}
}

// isolateTest keeps the runs' state in the test's directory and their
// helpers in helpers.
func isolateTest(t *testing.T, helpers string) string {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("SWITCHMAN_HELPER_DIR", helpers)
	return dir
}

// TestSmokeFleet fires a tiny fleet, 4 hosts × 2 jobs with one host per
// group, at a real ensemble with local sessions: every run is decided,
// one wins per job, and the skips cost less than global sessions' two
// transactions each.
func TestSmokeFleet(t *testing.T) {
	needZooKeeper(t)
	dir := isolateTest(t, t.TempDir())
	f := spec{Hosts: 4, Jobs: 2, Fraction: 0.1}
	res, err := simulate(context.Background(), setup{Local: true}, []spec{f}, options{Child: "/bin/true", Repeat: 1, Settle: testSettle}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ticks) != 1 {
		t.Fatalf("ticks %d, want 1", len(res.Ticks))
	}
	tk := res.Ticks[0]
	for k, want := range map[kind]int{kindWin: 2, kindBusy: 0, kindNotInGroup: 6, kindFailed: 0, kindOtherSkip: 0} {
		if got := tk.Tally.Kinds[k]; got != want {
			t.Errorf("%s runs: %d, want %d (tally %+v)", k, got, want, tk.Tally)
		}
	}
	if tk.Tally.Decided != f.Runs() || tk.Tally.Latency.N != f.Runs() {
		t.Errorf("decided %d of %d runs", tk.Tally.Decided, f.Runs())
	}
	// Two winners at 4 transactions each; six skips at 2 each would be
	// global sessions' price.
	if z := tk.Server.Zxid; z < 8 || z >= 8+6*2 {
		t.Errorf("tick cost %d transactions: want at least the winners' 8 and less than global sessions' 20", z)
	}
	total := 0
	for _, n := range tk.Txns {
		total += n
	}
	if int64(total) != tk.Server.Zxid {
		t.Errorf("transaction log has %d of the tick's %d transactions (%v)", total, tk.Server.Zxid, tk.Txns)
	}
	if tk.Server.CPU <= 0 {
		t.Errorf("server CPU %v: the JVMs' CPU was not read", tk.Server.CPU)
	}
}

// TestSamePathWithObservers builds the binary and checks, on an ensemble
// with local sessions and an observer, that an in-process run costs what
// the binary's costs, kind by kind, and that a skip costs no transaction.
func TestSamePathWithObservers(t *testing.T) {
	zktest.SkipShort(t)
	needZooKeeper(t)
	// Both ways start the child through the same switchman-shim: a
	// winning run's requests include a guard read every twentieth of the
	// session timeout while the child runs, so a slower shim (this test
	// binary, under -race) would cost more.
	binDir := t.TempDir()
	bin := filepath.Join(binDir, "switchman")
	if b, err := exec.Command("go", "build", "-o", binDir+"/", "../../cmd/switchman", "../../cmd/switchman-shim").CombinedOutput(); err != nil {
		t.Fatalf("build switchman: %v: %s", err, b)
	}
	dir := isolateTest(t, binDir)
	res, err := simulate(context.Background(), setup{Local: true, Observers: 1}, []spec{{Hosts: 2, Jobs: 1, Fraction: 1}},
		options{Bin: bin, Child: "/bin/true", Repeat: 1, Settle: testSettle}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Check) != 3 {
		t.Fatalf("checked %d kinds, want 3", len(res.Check))
	}
	for _, kc := range res.Check {
		if !kc.same() {
			t.Errorf("%s: binary %v, in process %v: want the same", kc.Kind, kc.Binary, kc.InProcess)
		}
		if kc.Kind == kindWin {
			continue
		}
		for _, c := range kc.InProcess {
			if c.Writes != 0 {
				t.Errorf("%s run with local sessions cost %d transactions, want 0", kc.Kind, c.Writes)
			}
		}
	}
	if k := res.Ticks[0].Tally.Kinds; k[kindFailed] != 0 || k[kindWin] < 1 {
		t.Errorf("tick kinds %v: want no failure and a winner", k)
	}
}
