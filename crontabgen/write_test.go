package crontabgen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/acme/switchman/internal/golden"
)

func testFiles(t *testing.T) []File {
	t.Helper()
	files, err := Generate([]string{filepath.Join("testdata", "cases", "multi-package", "src")},
		Options{InstallDir: "/usr/share/acme", Package: "acme-base", Debhelper: true})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// written writes testFiles to a fresh directory and returns both.
func written(t *testing.T) (string, []File) {
	t.Helper()
	dir, files := t.TempDir(), testFiles(t)
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func TestWriteThenCheck(t *testing.T) {
	t.Parallel()
	dir, files := written(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(files) {
		t.Fatalf("dir holds %d entries, want %d (no temporary files left)", len(entries), len(files))
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(data, f.Bytes()) {
			t.Fatalf("%s: %v, content matches: %v", p, err, bytes.Equal(data, f.Bytes()))
		}
		if info, _ := os.Stat(p); info.Mode().Perm() != FileMode {
			t.Errorf("%s mode %v, want %v", p, info.Mode().Perm(), os.FileMode(FileMode))
		}
	}
	var out bytes.Buffer
	if err := Check(dir, files, &out); err != nil || out.Len() != 0 {
		t.Fatalf("Check of identical files = %v, diff %q", err, out.String())
	}
}

func TestWriteLeavesUnchangedFilesAlone(t *testing.T) {
	t.Parallel()
	dir, files := written(t)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	p := filepath.Join(dir, files[0].Name)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(p); !info.ModTime().Equal(old) {
		t.Errorf("unchanged file was rewritten: mtime %v", info.ModTime())
	}
}

func TestWriteIntoMissingDirChangesNothing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "missing")
	if err := Write(dir, testFiles(t)); err == nil {
		t.Fatal("Write into a missing dir succeeded")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write created %s: %v", dir, err)
	}
}

func TestCheckReportsDifferences(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := testFiles(t)
	// acme-base.cron.d is stale (an old line), acme-extra.cron.d is missing.
	stale := bytes.Replace(files[0].Bytes(), []byte("@hourly"), []byte("@daily"), 1)
	if err := os.WriteFile(filepath.Join(dir, files[0].Name), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := Check(dir, files, &out)
	if !errors.Is(err, ErrOutOfDate) {
		t.Fatalf("Check = %v, want ErrOutOfDate", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Check wrote to the directory: %d entries", len(entries))
	}
	got := bytes.ReplaceAll(out.Bytes(), []byte(dir), []byte("OUT"))
	golden.Check(t, filepath.Join("testdata", "check.diff.golden"), string(got))
}
