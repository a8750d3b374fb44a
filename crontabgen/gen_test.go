package crontabgen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/golden"

	"github.com/acme/switchman/metadata"
)

// caseOptions reads a case's args file: one option a line, key=value.
func caseOptions(t *testing.T, path string) Options {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var o Options
	values := map[string]*string{"package": &o.Package, "install-dir": &o.InstallDir, "user": &o.User, "shell": &o.Shell, "path": &o.Path}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if p, ok := values[k]; ok {
			*p = v
		} else if k == "debhelper" {
			o.Debhelper = true
		} else if k == "splay" {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			o.Splay = d
		} else if k == "format" {
			if err := o.Format.Set(v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		} else {
			t.Fatalf("%s: unknown option %q", path, line)
		}
	}
	return o
}

// render shows generated files, or the error, as golden text.
func render(files []File, err error) string {
	if err != nil {
		return "error:\n" + err.Error() + "\n"
	}
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "==> %s <==\n%s", f.Name, f.Bytes())
	}
	return b.String()
}

// TestGenerateGolden runs every case under testdata/cases: src/ holds the
// scripts, args the options, want.golden the files or the errors.
func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	golden.Each(t, filepath.Join("testdata", "cases", "*"), func(t *testing.T, dir string) {
		files, err := Generate([]string{filepath.Join(dir, "src")}, caseOptions(t, filepath.Join(dir, "args")))
		if strings.HasPrefix(filepath.Base(dir), "err-") {
			var el metadata.ErrorList
			if !errors.As(err, &el) || files != nil {
				t.Fatalf("want an ErrorList and no files, got %v, %d files", err, len(files))
			}
		} else if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		golden.Check(t, filepath.Join(dir, "want.golden"), render(files, err))
	})
}
