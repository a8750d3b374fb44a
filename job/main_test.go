package job

import (
	"fmt"
	"os"
	"testing"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/supervise"
)

// TestMain makes the test binary the shim of the runs its tests start in
// process (Run starts the shim as /proc/self/exe when no switchman-shim is
// installed beside it), and keeps the machine's installed helpers and the
// user's cache out of the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	dir, err := os.MkdirTemp("", "switchman-job-")
	if err == nil {
		err = testenv.Isolate(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
