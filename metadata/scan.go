package metadata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// source is one file to read, with its path below the scanned root.
type source struct {
	path, rel string
}

// Scan reads the METADATA blocks of every file in paths: a file argument is
// read as it is, a directory is walked recursively, skipping directories
// whose name starts with "." (.git, .svn). Files are read in the sorted
// order of their paths, whatever the order of the arguments and of the
// file system, so the jobs come out in the same order every time. A file
// reached through two arguments is read once, as part of the outermost
// one (its RelPath is the longer). Every problem of every file is
// reported together in an ErrorList, and the jobs of the blocks without
// problems are returned with it, so that a caller can check those further
// and report everything at once. With no problem and no block at all, the
// error is ErrNoBlocks.
func Scan(paths []string) ([]Job, error) {
	srcs, errs := collect(paths)
	var jobs []Job
	for _, r := range readAll(srcs) {
		errs = append(errs, r.errs...)
		jobs = append(jobs, r.jobs...)
	}
	if err := errs.Err(); err != nil {
		return jobs, err
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoBlocks, strings.Join(paths, " "))
	}
	return jobs, nil
}

// result is what one file gave.
type result struct {
	jobs []Job
	errs ErrorList
}

// readers is how many files are read at once. Reading is mostly waiting
// on open(2) and read(2), so a few more readers than CPUs keep the disk
// or page cache busy; results are merged in path order, so the count does
// not change the output.
var readers = min(2*runtime.GOMAXPROCS(0), 16)

// readAll reads and parses every source, in parallel, and returns the
// results in the order of srcs.
func readAll(srcs []source) []result {
	results := make([]result, len(srcs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < readers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10) // one buffer per reader, reused
			for i := range next {
				results[i], buf = readOne(srcs[i], buf)
			}
		}()
	}
	for i := range srcs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// readOne reads and parses one file into buf and returns buf, grown if it
// had to be, for the next file. Parse copies what it keeps.
func readOne(s source, buf []byte) (result, []byte) {
	data, err := readFile(s.path, buf)
	if err != nil {
		return result{errs: ErrorList{fileError(s.path, err)}}, buf
	}
	if cap(data) > cap(buf) {
		buf = data[:cap(data)]
	}
	jobs, err := Parse(s.path, data)
	var r result
	if el, ok := err.(ErrorList); ok {
		r.errs = el
	}
	for i := range jobs {
		jobs[i].RelPath = s.rel
	}
	r.jobs = jobs
	return r, buf
}

// fileError names the file once: "x: no such file or directory", not
// "x: open x: no such file or directory".
func fileError(name string, err error) *Error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &Error{File: pe.Path, Msg: pe.Err.Error()}
	}
	return &Error{File: name, Msg: err.Error()}
}

// collect lists the files to read, sorted by path and without duplicates.
func collect(paths []string) ([]source, ErrorList) {
	var srcs []source
	var errs ErrorList
	for _, root := range paths {
		found, err := walk(root)
		if err != nil {
			errs = append(errs, fileError(root, err))
		}
		srcs = append(srcs, found...)
	}
	// A file reached through two arguments keeps the longest path below its
	// root (the outermost argument), whatever the order of the arguments.
	sort.Slice(srcs, func(i, j int) bool {
		a, b := srcs[i], srcs[j]
		if a.path != b.path {
			return a.path < b.path
		}
		if len(a.rel) != len(b.rel) {
			return len(a.rel) > len(b.rel)
		}
		return a.rel < b.rel
	})
	seen := map[string]bool{}
	uniq := srcs[:0]
	for _, s := range srcs {
		abs, err := filepath.Abs(s.path)
		if err != nil {
			abs = s.path
		}
		if !seen[abs] {
			seen[abs] = true
			uniq = append(uniq, s)
		}
	}
	return uniq, errs
}

// walk lists the regular files of one argument.
func walk(root string) ([]source, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []source{{path: root, rel: filepath.Base(root)}}, nil
	}
	var srcs []source
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isFile(p, d) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{path: p, rel: filepath.ToSlash(rel)})
		return nil
	})
	return srcs, err
}

// isFile accepts regular files and symlinks to regular files; a symlink to
// a directory is not followed, so a link cycle cannot loop.
func isFile(p string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}
