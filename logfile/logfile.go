// Package logfile holds the rules of switchman's log file: the
// placeholders of its path, the safe open in a directory every user may
// write, and the writers that give its lines their shape (the original
// tool's text format, a level threshold per destination). The one logger
// is built in cmd/switchman from these parts.
package logfile

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Path expands the placeholders of the logfile key: %u is the name of
// the user running switchman (User), %% a percent sign; any other %
// stays as it is. One file per user is what lets jobs of every user log
// into one directory that only admins can read (see the package's
// /var/log/switchman).
func Path(pattern string) string {
	if !strings.Contains(pattern, "%") {
		return pattern
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '%' || i+1 == len(pattern) {
			b.WriteByte(pattern[i])
			continue
		}
		i++
		switch pattern[i] {
		case 'u':
			b.WriteString(User())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(pattern[i])
		}
	}
	return b.String()
}

// User names the effective user, or gives its uid when it has no name
// fit for a file name; cron runs jobs as the crontab's user.
func User() string {
	if u, err := user.Current(); err == nil && u.Username != "" && !strings.ContainsRune(u.Username, '/') {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

// ErrNotOwn is returned by Open for a log file, in a directory that
// others may write, that another user created or linked.
var ErrNotOwn = errors.New("log file in a directory others can write is not this user's own (or has other links)")

// Open opens the log at path for appending, creating it mode 0640. The
// log directory may be writable by every user (sticky, like /tmp, as the
// package's /var/log/switchman), so a file there may have been planted by
// someone else: a symlink is never followed (O_NOFOLLOW), and in such a
// directory a file that is not ours or has a second hard link is refused
// with an error wrapping ErrNotOwn, lest root's log lines go to another
// user's file or into a file linked to, say, /etc/shadow. The caller
// closes the file.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o640)
	if err != nil {
		return nil, err
	}
	if dir, err := os.Stat(filepath.Dir(path)); err != nil || dir.Mode().Perm()&0o002 == 0 {
		return f, nil
	}
	var sys *syscall.Stat_t
	st, err := f.Stat()
	if err == nil {
		sys, _ = st.Sys().(*syscall.Stat_t)
	}
	if sys == nil || sys.Uid != uint32(os.Geteuid()) || sys.Nlink != 1 || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, ErrNotOwn)
	}
	return f, nil
}
