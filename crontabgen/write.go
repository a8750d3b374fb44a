package crontabgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/acme/switchman/internal/textdiff"
)

// ErrOutOfDate is returned (wrapped, with the file names) by Check when a
// file on disk differs from what would be generated, or is missing.
var ErrOutOfDate = errors.New("crontabgen: cron.d files are out of date")

// FileMode is the mode of written files: cron refuses cron.d files that
// group or others can write, and they are not secret.
const FileMode = 0o644

// Write writes every file into dir, which must exist. Each file is
// written to a temporary file in dir, synced and renamed over its name,
// so a reader (cron) sees the old or the new file, never a part; the
// directory is synced after the renames so they survive a crash. All
// temporary files are written before the first rename, so a failure while
// writing changes no file. A file whose content is already on disk is left
// alone (its mtime too).
func Write(dir string, files []File) error {
	var staged []stagedFile
	defer func() {
		for _, s := range staged {
			os.Remove(s.tmp) // after a successful rename this finds nothing
		}
	}()
	for i := range files {
		s, changed, err := stage(dir, &files[i])
		if err != nil {
			return err
		}
		if changed {
			staged = append(staged, s)
		}
	}
	for _, s := range staged {
		if err := os.Rename(s.tmp, s.final); err != nil {
			return fmt.Errorf("write %s: %w", s.final, err)
		}
	}
	if len(staged) == 0 {
		return nil
	}
	return syncDir(dir)
}

type stagedFile struct{ tmp, final string }

// stage writes one file's new content to a temporary file next to it,
// unless the file already holds that content.
func stage(dir string, f *File) (stagedFile, bool, error) {
	final := filepath.Join(dir, f.Name)
	data := f.Bytes()
	if old, err := os.ReadFile(final); err == nil && bytes.Equal(old, data) {
		return stagedFile{}, false, nil
	}
	// The leading dot matters: cron ignores names with a dot, so a
	// temporary file left in /etc/cron.d by a crash is never run.
	tmp, err := os.CreateTemp(dir, "."+f.Name+".tmp*")
	if err != nil {
		return stagedFile{}, false, fmt.Errorf("write %s: %w", final, err)
	}
	s := stagedFile{tmp: tmp.Name(), final: final}
	if err := writeSynced(tmp, data); err != nil {
		os.Remove(s.tmp)
		return stagedFile{}, false, fmt.Errorf("write %s: %w", final, err)
	}
	return s, true, nil
}

// writeSynced writes data, sets FileMode (CreateTemp makes 0600), and
// fsyncs before closing so the rename never exposes an empty file after a
// crash.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(FileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Check compares every file with the one of the same name in dir and
// writes a unified diff of each difference to w (a missing file diffs
// against /dev/null). It writes nothing to dir. It returns an error
// wrapping ErrOutOfDate, naming the files, when any differ, and other
// errors when a file cannot be read.
func Check(dir string, files []File, w io.Writer) error {
	var stale []string
	for i := range files {
		name := filepath.Join(dir, files[i].Name)
		oldLabel := name
		old, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			oldLabel = "/dev/null"
		} else if err != nil {
			return fmt.Errorf("check %s: %w", name, err)
		}
		if d := textdiff.Unified(oldLabel, name+" (generated)", old, files[i].Bytes()); d != "" {
			stale = append(stale, name)
			if _, err := io.WriteString(w, d); err != nil {
				return err
			}
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%w: %s (run without --check to write them)", ErrOutOfDate, strings.Join(stale, ", "))
	}
	return nil
}
