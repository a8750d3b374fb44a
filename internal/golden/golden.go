// Package golden compares test output with files under testdata/ and
// rewrites those files when the tests run with -update.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Each runs test once for every path matching pattern (a filepath.Glob
// pattern, such as "testdata/cases/*"), each in a parallel subtest named by
// the path's base name. It fails t when nothing matches: a golden test
// without inputs proves nothing.
func Each(t *testing.T, pattern string, test func(t *testing.T, path string)) {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		t.Fatalf("nothing matches %s: %v", pattern, err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			test(t, p)
		})
	}
}

// Check compares got with the file at path, failing t when they differ,
// or rewrites the file when the tests run with -update.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- want\n%s--- got\n%s", path, want, got)
	}
}
