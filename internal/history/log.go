// Package history records what the children of a fault-injection run did and
// checks that record against switchman's promises: no two children of one lock
// ran at the same time, lease totals were never exceeded, and no child ran on a
// host outside its group once a group move had had time to take effect.
//
// # Log format
//
// Children append to one shared text file, one record per line, each line
// written with a single write(2) on a descriptor opened with O_APPEND, so that
// concurrent writers never interleave within a line (see [Append]).
//
//	LOCK HOST PID START END [KEY=VALUE ...]
//
// Fields are separated by single spaces (any run of blanks is accepted when
// reading). LOCK and HOST are the switchman lock name and --hostname; LOCK is
// "-" ([NoLock]) for a job run without a lock. PID is the child's pid, a
// positive decimal integer. START and END are wall-clock times in nanoseconds
// since the Unix epoch, as decimal integers. END is "-" on a start line.
// KEY matches [A-Za-z0-9_.-]+ and appears at most once per line; VALUE may be
// empty. LOCK, HOST and VALUE are escaped: '%', '=', bytes up to and including
// space, and DEL are written as %XX (upper-case hex), so a field never
// contains a blank or, in LOCK and HOST, an '='. Empty lines and lines whose
// first non-blank byte is '#' are ignored.
//
// A child writes a start line (END "-") as soon as it starts, so that a child
// killed with SIGKILL still leaves evidence, and an end line (the same LOCK,
// HOST, PID and START plus END) when it ends. [ParseLog] pairs the two by
// (LOCK, HOST, PID, START); a run with no end line is reported with Ended
// false, and [CloseUnended] gives it the end time the caller observed (for
// example when the harness saw its process gone).
//
// Example:
//
//	nightly host-a 4242 1700000000000000000 - token=17
//	nightly host-a 4242 1700000000000000000 1700000000250000000 token=17 exit=normal
package history

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// NoLock is the LOCK field of a run that held no lock (switchman --no-lock);
// [Overlaps] ignores such runs.
const NoLock = "-"

// openEnd is the END field of a start line.
const openEnd = "-"

// maxLine bounds one log line; a longer line is reported as malformed rather
// than read into memory without limit.
const maxLine = 1 << 20

// ErrMalformed is wrapped by every error that reports a bad log line; the
// concrete error is a *ParseError naming the file and line.
var ErrMalformed = errors.New("history: malformed line")

// ErrInvalidRun is returned by [Format] for a run that cannot be written as a
// log line (empty lock or host, pid not positive, zero start, bad extra key).
var ErrInvalidRun = errors.New("history: invalid run")

// Run is one child's life as recorded in the log.
type Run struct {
	Lock  string    // switchman lock name, or NoLock
	Host  string    // simulated host (switchman --hostname)
	PID   int       // the child's pid
	Start time.Time // when the child started
	// End is when the child ended. It is zero for a run that has no end line
	// until CloseUnended fills it in; the checkers treat a zero End as "still
	// running", which is the conservative reading.
	End time.Time
	// Ended reports whether the child wrote its end line (it exited or was
	// stopped by a catchable signal). False means it was killed with SIGKILL
	// or is still running; CloseUnended leaves it false.
	Ended bool
	// Extra holds the KEY=VALUE fields of the start and end lines (the end
	// line's value wins); never nil for a parsed run.
	Extra map[string]string
}

// String names the run for reports: lock@host[pid] start..end.
func (r Run) String() string {
	end := "running"
	if !r.End.IsZero() {
		end = r.End.Sub(r.Start).String()
	}
	return fmt.Sprintf("%s@%s[%d] %s +%s", r.Lock, r.Host, r.PID, r.Start.Format(time.RFC3339Nano), end)
}

// ParseError reports a malformed log line. It wraps ErrMalformed.
type ParseError struct {
	File string // the log's name, or "log" when unknown
	Line int    // 1-based line number
	Msg  string // what is wrong, naming the bad value
}

// Error returns "file:line: malformed line: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: malformed line: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns ErrMalformed.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// record is one parsed line.
type record struct {
	run  Run
	line int
}

// runKey identifies one child's run: a pid may be reused, its start time not.
type runKey struct {
	lock, host string
	pid        int
	start      int64
}

func keyOf(r Run) runKey {
	return runKey{lock: r.Lock, host: r.Host, pid: r.PID, start: r.Start.UnixNano()}
}

// ParseFile reads the log at path; see ParseLog.
func ParseFile(path string) ([]Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	return ParseLog(f)
}

// ParseLog reads a log in the package's format and returns one Run per child,
// ordered by start time (then lock, host, pid). Start and end lines are paired
// by lock, host, pid and start; an end line without a start line is a complete
// run. It returns a *ParseError (wrapping ErrMalformed) for the first bad line,
// a duplicated start or end line, or an end before its start; errors from r are
// returned wrapped.
func ParseLog(r io.Reader) ([]Run, error) {
	name := "log"
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	p := pairer{file: name, runs: map[runKey]*pairState{}}
	line := 0
	for sc.Scan() {
		line++
		rec, ok, err := parseLine(sc.Text())
		if err != nil {
			return nil, &ParseError{File: name, Line: line, Msg: err.Error()}
		}
		if !ok {
			continue
		}
		rec.line = line
		if err := p.add(rec); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &ParseError{File: name, Line: line + 1, Msg: fmt.Sprintf("longer than %d bytes", maxLine)}
		}
		return nil, fmt.Errorf("history: read %s: %w", name, err)
	}
	return p.result(), nil
}

// pairState collects the start and end lines of one run.
type pairState struct {
	run                Run
	startLine, endLine int
	haveStart, haveEnd bool
	startXtra, endXtra map[string]string
}

type pairer struct {
	file string
	runs map[runKey]*pairState
}

func (p *pairer) add(rec record) error {
	k := keyOf(rec.run)
	st := p.runs[k]
	if st == nil {
		st = &pairState{run: rec.run}
		p.runs[k] = st
	}
	if rec.run.Ended {
		if st.haveEnd {
			return &ParseError{File: p.file, Line: rec.line, Msg: fmt.Sprintf("second end line for %s (first on line %d)", rec.run, st.endLine)}
		}
		st.haveEnd, st.endLine, st.endXtra = true, rec.line, rec.run.Extra
		st.run.End, st.run.Ended = rec.run.End, true
		return nil
	}
	if st.haveStart {
		return &ParseError{File: p.file, Line: rec.line, Msg: fmt.Sprintf("second start line for %s (first on line %d)", rec.run, st.startLine)}
	}
	st.haveStart, st.startLine, st.startXtra = true, rec.line, rec.run.Extra
	return nil
}

func (p *pairer) result() []Run {
	runs := make([]Run, 0, len(p.runs))
	for _, st := range p.runs {
		r := st.run
		r.Extra = make(map[string]string, len(st.startXtra)+len(st.endXtra))
		for k, v := range st.startXtra {
			r.Extra[k] = v
		}
		for k, v := range st.endXtra {
			r.Extra[k] = v
		}
		runs = append(runs, r)
	}
	sortRuns(runs)
	return runs
}

// sortRuns orders runs by start, then lock, host and pid.
func sortRuns(runs []Run) {
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Lock != b.Lock {
			return a.Lock < b.Lock
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.PID < b.PID
	})
}

// parseLine parses one line; ok is false for blank and comment lines. The
// error text names the bad field and value; the caller adds file and line.
func parseLine(s string) (rec record, ok bool, err error) {
	f := strings.Fields(s)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return record{}, false, nil
	}
	if len(f) < 5 {
		return record{}, false, fmt.Errorf("want LOCK HOST PID START END [KEY=VALUE...], got %d fields in %q", len(f), s)
	}
	r := Run{Extra: map[string]string{}}
	if r.Lock, err = unescapeField("lock", f[0]); err != nil {
		return record{}, false, err
	}
	if r.Host, err = unescapeField("host", f[1]); err != nil {
		return record{}, false, err
	}
	if r.PID, err = strconv.Atoi(f[2]); err != nil || r.PID <= 0 {
		return record{}, false, fmt.Errorf("pid %q is not a positive integer", f[2])
	}
	if r.Start, err = parseNanos("start", f[3]); err != nil {
		return record{}, false, err
	}
	if f[4] != openEnd {
		if r.End, err = parseNanos("end", f[4]); err != nil {
			return record{}, false, err
		}
		if r.End.Before(r.Start) {
			return record{}, false, fmt.Errorf("end %s is before start %s", f[4], f[3])
		}
		r.Ended = true
	}
	for _, kv := range f[5:] {
		if err := parseExtra(r.Extra, kv); err != nil {
			return record{}, false, err
		}
	}
	return record{run: r}, true, nil
}

// parseNanos parses a positive count of nanoseconds since the Unix epoch.
func parseNanos(field, s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, fmt.Errorf("%s %q is not a positive count of nanoseconds since the Unix epoch", field, s)
	}
	return time.Unix(0, n), nil
}

func parseExtra(into map[string]string, kv string) error {
	k, v, found := strings.Cut(kv, "=")
	if !found || !validKey(k) {
		return fmt.Errorf("extra field %q is not KEY=VALUE with KEY of [A-Za-z0-9_.-]", kv)
	}
	if _, dup := into[k]; dup {
		return fmt.Errorf("extra key %q appears twice", k)
	}
	val, err := unescapeField("value of "+k, v)
	if err != nil {
		return err
	}
	into[k] = val
	return nil
}

func unescapeField(field, s string) (string, error) {
	v, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("%s %q has a bad %%-escape", field, s)
	}
	if field == "lock" || field == "host" {
		if v == "" {
			return "", fmt.Errorf("%s %q is empty", field, s)
		}
	}
	return v, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// escape writes s so that it contains no blank, '=' or '%' (see the package
// doc); PathUnescape reverses it.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == '%' || c == '=' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Format returns r as one log line without the trailing newline: an end line
// if r.Ended, else a start line. Extra fields are written in key order. It
// returns an error wrapping ErrInvalidRun if r cannot be written in a form
// ParseLog accepts.
func Format(r Run) (string, error) {
	if err := checkRun(r); err != nil {
		return "", err
	}
	end := openEnd
	if r.Ended {
		end = strconv.FormatInt(r.End.UnixNano(), 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %d %d %s", escape(r.Lock), escape(r.Host), r.PID, r.Start.UnixNano(), end)
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, escape(r.Extra[k]))
	}
	return b.String(), nil
}

func checkRun(r Run) error {
	switch {
	case r.Lock == "":
		return fmt.Errorf("%w: empty lock", ErrInvalidRun)
	case r.Host == "":
		return fmt.Errorf("%w: empty host", ErrInvalidRun)
	case r.PID <= 0:
		return fmt.Errorf("%w: pid %d is not positive", ErrInvalidRun, r.PID)
	case r.Start.UnixNano() <= 0:
		return fmt.Errorf("%w: start %v is not after the Unix epoch", ErrInvalidRun, r.Start)
	case r.Ended && r.End.Before(r.Start):
		return fmt.Errorf("%w: end %v is before start %v", ErrInvalidRun, r.End, r.Start)
	}
	for k := range r.Extra {
		if !validKey(k) {
			return fmt.Errorf("%w: extra key %q is not of [A-Za-z0-9_.-]", ErrInvalidRun, k)
		}
	}
	return nil
}

// Append writes line plus a newline to the log at path in one write(2) on a
// descriptor opened with O_APPEND (creating the file with mode 0644), so that
// lines from concurrent processes never interleave. It returns the open or
// write error, wrapped.
func Append(path, line string) error {
	// O_APPEND makes the kernel move to the end and write as one step, so
	// children on other "hosts" appending at the same time cannot overwrite or
	// split each other's lines.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("history: open log: %w", err)
	}
	if _, err := f.Write([]byte(line + "\n")); err != nil {
		f.Close()
		return fmt.Errorf("history: append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("history: close %s: %w", path, err)
	}
	return nil
}

// CloseUnended returns a copy of runs in which every run without an end time
// gets End = endOf(run), or its Start if endOf returns an earlier time. Ended
// stays false, so reports can still tell killed runs apart. Use it with the
// time the harness observed the child's process gone, or the end of the test.
func CloseUnended(runs []Run, endOf func(Run) time.Time) []Run {
	out := make([]Run, len(runs))
	copy(out, runs)
	for i := range out {
		if !out[i].End.IsZero() {
			continue
		}
		end := endOf(out[i])
		if end.Before(out[i].Start) {
			end = out[i].Start
		}
		out[i].End = end
	}
	return out
}
