// Package metadata reads the METADATA blocks that scripts carry to say how
// cron should run them, and turns each block into a Job.
//
// A block is a <crontab> ... </crontab> section of "key: value" lines, in
// one of three forms:
//
//   - Perl POD: inside a "=head1 METADATA" section (up to =cut or the next
//     =head1), the block's lines are written bare, usually indented;
//   - "#" comments (shell, Python, Ruby, Perl): every line of the block,
//     from <crontab> to </crontab>, starts with "#";
//   - "//" comments (Go, JavaScript): the same with "//".
//
// Blank lines inside a block are ignored, and so are lines whose text starts
// with "#" (comments). A block whose lines stop carrying its comment marker
// before </crontab> is an error, not silently cut.
//
// Keys: time (required: five cron fields or an @keyword), package (required
// here or from the generator's --package), params, group, lockname, lease
// (repeatable), no_lock, timeout, wait, halt_on_failure, expected_duration,
// min_interval, splay, catch_up, standby, notify, user, env (KEY=VALUE,
// repeatable),
// mailto, comment,
// and the resource limits nice, ionice, oom_score_adj, rlimit
// (repeatable), memory_max, cpu_max, tasks_max and limits_best_effort.
// Every error names the file and line, and Parse reports
// all of a file's errors, not just the first.
package metadata

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoBlocks is returned by Scan when no file holds a METADATA block.
var ErrNoBlocks = errors.New("metadata: no METADATA blocks found")

// Job is one METADATA block: when and how cron should run one script.
// Values are validated but not yet resolved: Package, User and LockName
// may be empty and get their defaults from the generator.
type Job struct {
	Path    string // the script as found (the scan argument joined with its path below it)
	RelPath string // the script's path below the scanned directory (its base name for a file argument), slash-separated
	Line    int    // line of the block's <crontab>

	Time     string   // normalized schedule: five fields or an @keyword
	Package  string   // package whose cron.d file gets this job
	Params   string   // arguments, as written (sh syntax; checked by crontab.SplitParams)
	Words    []string // Params split as sh will split them
	Group    string   // --group
	LockName string   // --lockname
	Leases   []string // --lease specs RESOURCE=COUNT:TOTAL
	NoLock   bool     // --no-lock
	Timeout  string   // --timeout, a Go duration
	Wait     string   // "" (no --wait), "true" (--wait) or a Go duration (--wait=D)

	HaltOnFailure    bool   // --halt-on-failure
	ExpectedDuration string // --expected-duration, a Go duration
	MinInterval      string // --min-interval, a Go duration
	// Splay is the block's --splay, a Go duration ("0": none, whatever
	// the generator's fleet-wide splay); "": the generator's.
	Splay string
	// CatchUp is the block's --catch-up, a Go duration: how far back a
	// missed slot is still run by `switchman catch-up`; "": never.
	CatchUp string
	// Standby is the block's --standby, a Go duration: how long each host
	// of the group waits after the one before it in the group's order
	// (needs group); "": every host tries at once.
	Standby string
	// Notify is the block's --notify: the config's notifier that gets the
	// job's events; "": the config's notify.
	Notify string

	Limits           []Limit // --nice, --ionice, ... --tasks-max, in block order
	LimitsBestEffort bool    // --limits-best-effort

	User    string   // user field of the cron.d line
	Env     []string // NAME=VALUE assignments for the command, in block order
	MailTo  *string  // MAILTO for this job; nil: the file's default
	Comment string   // written as a comment above the job's line

	keyLines map[string]int
}

// Limit is one resource-limit flag of a job, its value as written.
type Limit struct {
	Flag  string // the wrapper's flag, without dashes: limits.FlagNice, ...
	Value string
}

// LineOf returns the line where key was set in the block, or the block's
// <crontab> line when it was not set, so errors about a value point at it.
func (j *Job) LineOf(key string) int {
	if n, ok := j.keyLines[key]; ok {
		return n
	}
	return j.Line
}

// Error is one problem at a position in a script. Line is 0 when the
// problem is about the whole file.
type Error struct {
	File string
	Line int
	Msg  string
}

// Error returns "file:line: message" (or "file: message").
func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errorf returns an *Error at file:line.
func Errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ErrorList is every problem found, reported together so that one run
// shows them all. Its Error is one "file:line: message" per line, sorted by
// file and line.
type ErrorList []*Error

// Error returns the problems one per line, in the order of the list.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Sort orders the list by file, then line, keeping the order of problems
// on the same line.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].File != l[j].File {
			return l[i].File < l[j].File
		}
		return l[i].Line < l[j].Line
	})
}

// Err returns the list sorted as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}
