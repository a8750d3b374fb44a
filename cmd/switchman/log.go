package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
)

// newLogger builds the one logger of a run: warnings and errors to stderr in
// a human format (cron mails them), JSON lines at the configured level to
// the log file. DEBUG=1 sends debug output to stderr, as the original.
//
// A log file that cannot be opened never stops the run: the job matters
// more than switchman's own log, so the logger then writes to stderr only
// and its first line says why (cron mails it, so the admin hears of it).
// The returned function closes the log file.
func newLogger(app *App, cfg *config.Config) (zerolog.Logger, func(), error) {
	stderrLevel := zerolog.WarnLevel
	if d := app.Getenv("DEBUG"); d != "" && d != "0" {
		stderrLevel = zerolog.DebugLevel
	}
	console := zerolog.ConsoleWriter{Out: app.Stderr, NoColor: true, TimeFormat: time.DateTime,
		PartsExclude: []string{zerolog.TimestampFieldName}}
	writers := []io.Writer{levelFilter{w: console, min: stderrLevel}}
	min := stderrLevel
	closeFn := func() {}
	var openErr error
	if cfg != nil && cfg.LogFile != "" {
		lvl, err := zerolog.ParseLevel(cfg.LogLevel)
		if err != nil {
			return zerolog.Nop(), nil, &config.FileError{Err: fmt.Errorf("%s: key \"loglevel\": %w", cfg.Path, err)}
		}
		f, err := openLog(logPath(cfg.LogFile))
		if err == nil {
			closeFn = func() { f.Close() }
			var w io.Writer = f
			if cfg.LogFormat == config.LogText {
				w = textLog{f}
			}
			writers = append(writers, levelFilter{w: w, min: lvl})
			min = minLevel(min, lvl)
		}
		openErr = err
	}
	l := zerolog.New(zerolog.MultiLevelWriter(writers...)).Level(min).With().Timestamp().
		Int("switchman_pid", os.Getpid()).Logger()
	if openErr != nil {
		l.Warn().Err(openErr).Msgf("%s: key \"logfile\": logging to stderr only (run switchman doctor)", cfg.Path)
	}
	return l, closeFn, nil
}

func minLevel(a, b zerolog.Level) zerolog.Level {
	if b < a {
		return b
	}
	return a
}

// logPath expands the placeholders of the logfile key: %u is the name of
// the user running switchman (its uid when it has no name), %% a percent
// sign. One file per user is what lets jobs of every user log into one
// directory that only admins can read (see the package's /var/log/switchman).
func logPath(pattern string) string {
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
			b.WriteString(userName())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(pattern[i])
		}
	}
	return b.String()
}

// userName names the effective user; cron runs jobs as the crontab's user.
func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" && !strings.ContainsRune(u.Username, '/') {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

// errLogNotOwn is returned by openLog for a log file, in a directory
// that others may write, that another user created or linked.
var errLogNotOwn = errors.New("log file in a directory others can write is not this user's own (or has other links)")

// openLog opens the log for appending, creating it mode 0640. The log
// directory may be writable by every user (sticky, like /tmp, as the
// package's /var/log/switchman), so a file there may have been planted by
// someone else: a symlink is never followed (O_NOFOLLOW), and in such a
// directory a file that is not ours or has a second hard link is refused,
// lest root's log lines go to another user's file or into a file linked
// to, say, /etc/shadow.
func openLog(path string) (*os.File, error) {
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
		return nil, fmt.Errorf("open %s: %w", path, errLogNotOwn)
	}
	return f, nil
}

// levelFilter passes on only events at or above min.
type levelFilter struct {
	w   io.Writer
	min zerolog.Level
}

func (f levelFilter) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f levelFilter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if l < f.min {
		return len(p), nil
	}
	return f.w.Write(p)
}

// textLog writes each event as the original tool wrote its log lines,
// "DATE<TAB>[PID]<TAB>message" in local time, for log shippers and eyes
// used to them: the message, then the event's fields as key=value, sorted,
// a value with blanks or quotes quoted.
type textLog struct{ w io.Writer }

func (t textLog) Write(p []byte) (int, error) {
	var ev map[string]any
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	if d.Decode(&ev) != nil {
		return t.w.Write(p) // not an event: as is
	}
	when := time.Now()
	if ts, ok := ev[zerolog.TimestampFieldName].(string); ok {
		if parsed, err := time.Parse(zerolog.TimeFieldFormat, ts); err == nil {
			when = parsed
		}
	}
	pid := fmt.Sprint(ev["switchman_pid"])
	msg, _ := ev[zerolog.MessageFieldName].(string)
	for _, k := range []string{zerolog.TimestampFieldName, "switchman_pid", zerolog.MessageFieldName} {
		delete(ev, k)
	}
	if lvl, _ := ev[zerolog.LevelFieldName].(string); lvl == "info" || lvl == "debug" {
		delete(ev, zerolog.LevelFieldName) // the original's lines carry no level; warnings say so
	}
	keys := make([]string, 0, len(ev))
	for k := range ev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t[%s]\t%s", when.Local().Format(time.DateTime), pid, msg)
	for _, k := range keys {
		b.WriteString(" " + k + "=" + textValue(ev[k]))
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func textValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		return x.String()
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}
