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

func TestWriteThenCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := testFiles(t)
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
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
	dir := t.TempDir()
	files := testFiles(t)
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
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

func TestDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, old, new, want string
	}{
		{name: "equal", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "from empty", old: "", new: "a\nb\n", want: "--- o\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{name: "to empty", old: "a\n", new: "", want: "--- o\n+++ n\n@@ -1 +0,0 @@\n-a\n"},
		{name: "change in the middle", old: "1\n2\n3\n4\n5\n6\n7\n8\n9\n", new: "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			want: "--- o\n+++ n\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{name: "two hunks", old: "a\n1\n2\n3\n4\n5\n6\n7\nz\n", new: "A\n1\n2\n3\n4\n5\n6\n7\nZ\n",
			want: "--- o\n+++ n\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-z\n+Z\n"},
		{name: "close changes share a hunk", old: "a\n1\n2\nb\n", new: "A\n1\n2\nB\n",
			want: "--- o\n+++ n\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n-b\n+B\n"},
		{name: "insert keeps common lines", old: "x\ny\n", new: "x\nnew\ny\n", want: "--- o\n+++ n\n@@ -1,2 +1,3 @@\n x\n+new\n y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Diff("o", "n", []byte(tt.old), []byte(tt.new)); got != tt.want {
				t.Errorf("Diff =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
