package metadata

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const oneBlock = "# <crontab>\n#   time: @daily\n#   package: p\n# </crontab>\n"

// writeTree creates files (path -> content) under dir in the given order.
func writeTree(t *testing.T, dir string, order []string, files map[string]string) {
	t.Helper()
	for _, p := range order {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func relPaths(jobs []Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.RelPath)
	}
	return out
}

func TestScanOrderIsIndependentOfCreationOrder(t *testing.T) {
	t.Parallel()
	files := map[string]string{"b.sh": oneBlock, "a/z.sh": oneBlock, "a/c.sh": oneBlock + oneBlock, "c.txt": "no metadata"}
	forward := []string{"a/c.sh", "a/z.sh", "b.sh", "c.txt"}
	backward := []string{"c.txt", "b.sh", "a/z.sh", "a/c.sh"}
	var results [][]string
	for _, order := range [][]string{forward, backward} {
		dir := t.TempDir()
		writeTree(t, dir, order, files)
		jobs, err := Scan([]string{dir})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, relPaths(jobs))
	}
	want := []string{"a/c.sh", "a/c.sh", "a/z.sh", "b.sh"}
	for _, got := range results {
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Scan order = %q, want %q", got, want)
		}
	}
}

func TestScanArgumentsAndSkips(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, []string{"bin/run.sh", "bin/.git/hook.sh", "other/x.sh"},
		map[string]string{"bin/run.sh": oneBlock, "bin/.git/hook.sh": oneBlock, "other/x.sh": oneBlock})
	if err := os.Symlink(filepath.Join(dir, "other", "x.sh"), filepath.Join(dir, "bin", "link.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "other"), filepath.Join(dir, "bin", "dirlink")); err != nil {
		t.Fatal(err)
	}
	// The same file twice (directory and file argument) is read once;
	// argument order does not matter.
	jobs, err := Scan([]string{filepath.Join(dir, "bin", "run.sh"), filepath.Join(dir, "bin")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := relPaths(jobs), []string{"link.sh", "run.sh"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Scan = %q, want %q (hidden dir skipped, file symlink read, dir symlink not followed)", got, want)
	}
	if want := filepath.Join(dir, "bin", "link.sh"); jobs[0].Path != want {
		t.Errorf("Path = %q, want %q", jobs[0].Path, want)
	}
}

func TestScanErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, []string{"empty.sh", "bad1.sh", "bad2.sh"}, map[string]string{
		"empty.sh": "#!/bin/sh\n",
		"bad1.sh":  "# <crontab>\n#  time: 61 * * * *\n# </crontab>\n",
		"bad2.sh":  "# <crontab>\n#  tim: * * * * *\n",
	})
	_, err := Scan([]string{filepath.Join(dir, "empty.sh")})
	if !errors.Is(err, ErrNoBlocks) {
		t.Errorf("Scan(no blocks) = %v, want ErrNoBlocks", err)
	}
	missing := filepath.Join(dir, "missing")
	_, err = Scan([]string{missing})
	if err == nil || err.Error() != missing+": no such file or directory" {
		t.Errorf("Scan(missing) = %v", err)
	}
	// All errors of all files, one per line, sorted by file and line.
	_, err = Scan([]string{dir})
	want := []string{
		filepath.Join(dir, "bad1.sh") + `:2: time: minute field "61": 61 is out of range 0-59`,
		filepath.Join(dir, "bad2.sh") + `:1: <crontab> block is never closed (no # </crontab> before the end of the file)`,
		filepath.Join(dir, "bad2.sh") + `:2: unknown key "tim"`,
	}
	if err == nil {
		t.Fatal("Scan succeeded, want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Scan errors:\n%s\nwant %d lines", err, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], want[i])
		}
	}
}
