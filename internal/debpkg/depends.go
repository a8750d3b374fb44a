package main

import (
	"debug/elf"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// libcDepends computes the package's dependency on the C library from the
// binaries themselves: the highest GLIBC_x.y symbol version any of them
// needs gives "libc6 (>= x.y)", as dpkg-shlibdeps would from libc6's
// symbols file. Static binaries (CGO_ENABLED=0) need nothing; empty paths
// are skipped.
func libcDepends(paths ...string) ([]string, error) {
	best := ""
	for _, p := range paths {
		if p == "" {
			continue
		}
		v, err := maxGlibc(p)
		if err != nil {
			return nil, err
		}
		if versionLess(best, v) {
			best = v
		}
	}
	if best == "" {
		return nil, nil
	}
	return []string{"libc6 (>= " + best + ")"}, nil
}

// maxGlibc returns the highest GLIBC_ symbol version path needs, or "" for
// a static binary.
func maxGlibc(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if errors.Is(err, elf.ErrNoSymbols) || f.Section(".dynamic") == nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: dynamic symbols: %w", path, err)
	}
	best := ""
	for _, s := range syms {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && versionLess(best, v) {
			best = v
		}
	}
	if best == "" {
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			return "", fmt.Errorf("%s needs %v but no GLIBC_ symbol version: cannot compute Depends", path, libs)
		}
	}
	return best, nil
}

// versionLess compares dotted numeric versions ("2.34" < "2.4" is false);
// "" is below everything. A part that is not a number compares as 0.
func versionLess(a, b string) bool {
	if a == "" || b == "" {
		return a == "" && b != ""
	}
	ap, bp := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(ap) || i < len(bp); i++ {
		var x, y int
		if i < len(ap) {
			x, _ = strconv.Atoi(ap[i])
		}
		if i < len(bp) {
			y, _ = strconv.Atoi(bp[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}
