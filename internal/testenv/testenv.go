// Package testenv keeps the processes that tests, the demo, the fault suite
// and the benchmark start away from the machine's own state: switchman's
// per-user stamps and its installed helper binaries. It keeps Go's build
// cache where it is, so that isolating the cache directory does not make
// every run rebuild the standard library with -race. It also holds what
// tests share beyond ZooKeeper (internal/zktest): a buffer to read a
// running process's output from, a certificate authority for TLS tests,
// and the body of every parser's fuzz target.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Isolate sets, in this process's environment and so in every process it
// starts: XDG_CACHE_HOME to dir/cache (switchman's heartbeat stamps),
// SWITCHMAN_HELPER_DIR to dir/no-helpers (an empty directory: helpers are
// then found only beside the binary under test, never in the machine's
// /usr/lib/switchman), and GOCACHE to the build cache in use before, when it
// was not set explicitly (Go derives its default from XDG_CACHE_HOME).
func Isolate(dir string) error {
	if os.Getenv("GOCACHE") == "" {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err != nil {
			return fmt.Errorf("testenv: go env GOCACHE: %w", err)
		}
		if err := os.Setenv("GOCACHE", strings.TrimSpace(string(out))); err != nil {
			return err
		}
	}
	helpers := filepath.Join(dir, "no-helpers")
	if err := os.MkdirAll(helpers, 0o755); err != nil {
		return err
	}
	if err := os.Setenv("SWITCHMAN_HELPER_DIR", helpers); err != nil {
		return err
	}
	return os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
}

// Buffer is a bytes.Buffer safe for one writer and concurrent readers: the
// output of a process or logger that a test reads while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WriteFile writes data to path with exactly mode, failing t on error, and
// returns path. os.WriteFile's mode is masked by the umask, and the mode of
// an auth file or of a file other users must reach is what tests check.
func WriteFile(t testing.TB, path string, data []byte, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}
