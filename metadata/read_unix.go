//go:build unix

package metadata

import (
	"errors"
	"syscall"
)

// readFile reads a whole file into buf (grown as needed) with bare
// open/read/close: os.ReadFile also does fstat, a final read and, for
// some files, fcntl, which doubles the system calls per file, and
// generating from 10,000 scripts is mostly system calls. buf is reused by
// the caller, so the result is only valid until the next call.
func readFile(path string, buf []byte) ([]byte, error) {
	fd, err := retry(func() (int, error) { return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0) })
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, max(len(buf), 4096))...)
		}
		m, err := retry(func() (int, error) { return syscall.Read(fd, buf[n:]) })
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}

// retry repeats a system call interrupted by a signal: the Go runtime
// itself sends signals (preemption) that can interrupt blocking calls.
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if !errors.Is(err, syscall.EINTR) {
			return n, err
		}
	}
}
