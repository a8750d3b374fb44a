package crontab

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/nagios"
)

// MaxCommand is the longest command Debian's cron runs as written: it
// keeps the first 999 bytes of a longer one (MAX_COMMAND is 1000 in its
// cron.h) and silently drops the rest.
const MaxCommand = 999

// Problem is one finding of the checker, at a file and line (0: the whole
// file).
type Problem struct {
	File     string
	Line     int
	Severity nagios.State
	Msg      string
}

// String returns "file:line: message", "file: message" when Line is 0, or
// the message alone when File is empty.
func (p Problem) String() string {
	if p.File == "" {
		return p.Msg
	}
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// CheckOptions says how to check crontabs.
type CheckOptions struct {
	// Format of the files' job lines; FormatAuto decides per file (FormatOf).
	Format Format
	// Groups is the set of groups defined in ZooKeeper; nil skips the check.
	Groups map[string]bool
	// Original also warns about lines using options the original tool
	// does not know (it would refuse them): see cmdline.Notes.
	Original bool
}

// Report is what the checker found in a set of files.
type Report struct {
	Files       int       // files checked
	Invocations int       // switchman invocations found
	Problems    []Problem // sorted by Sort: most severe first
	// Suggestions are improvements that change no state: a locked line
	// without --schedule, say. Their Severity is nagios.OK.
	Suggestions []Problem
}

// CheckFile checks one crontab file's content and adds its invocations and
// problems to r. name is used in messages and, with FormatAuto, to pick the
// format.
func (r *Report) CheckFile(name string, data []byte, opts CheckOptions) {
	r.Files++
	f := opts.Format
	if f == FormatAuto && FormatOf(name) == FormatUser {
		r.checkUnplaced(name, data, opts)
		return
	}
	if f == FormatAuto {
		f = FormatOf(name)
	}
	if f == FormatSystem && filepath.Base(filepath.Dir(filepath.Clean(name))) == "cron.d" && !ValidCronDName(filepath.Base(name)) {
		r.add(name, 0, nagios.Warning, "cron ignores this file: names in cron.d may only contain A-Z a-z 0-9 _ -")
	}
	for i, text := range strings.Split(string(data), "\n") {
		r.checkLine(name, i+1, strings.TrimSuffix(text, "\r"), f, opts)
	}
}

// checkUnplaced checks a file whose path does not say its format (not
// /etc/crontab, not in a cron.d directory): a user's crontab, or a cron.d
// file kept elsewhere (an example, a file before it is installed). Each
// line is checked in the format in which it invokes switchman, so that no
// line's flags go unchecked; a file with switchman lines of both formats
// is a warning (cron reads a file only one way), and so is a line that
// names switchman but runs it in neither.
func (r *Report) checkUnplaced(name string, data []byte, opts CheckOptions) {
	counts := map[Format]int{}
	for i, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSuffix(text, "\r")
		f, ok := lineFormat(text)
		if ok {
			counts[f]++
		} else if l, err := ParseLine(text, FormatUser); err == nil && l.Kind == Job && strings.Contains(l.Command, "switchman") {
			r.add(name, i+1, nagios.Warning, "names switchman but runs it neither as a user crontab line nor as a cron.d line (TIME USER COMMAND)")
			continue
		}
		r.checkLine(name, i+1, text, f, opts)
	}
	if counts[FormatUser] > 0 && counts[FormatSystem] > 0 {
		r.add(name, 0, nagios.Warning, fmt.Sprintf("%d switchman lines have a user field and %d have none: cron reads a file one way "+
			"(a user field in cron.d files and /etc/crontab, none in a user's crontab)", counts[FormatSystem], counts[FormatUser]))
	}
}

// lineFormat is the format in which a line invokes switchman: without a
// user field first, then with one. ok is false when it invokes switchman
// in neither (or is no job line); the format is then FormatUser.
func lineFormat(text string) (f Format, ok bool) {
	for _, f := range []Format{FormatUser, FormatSystem} {
		l, err := ParseLine(text, f)
		if err != nil || l.Kind != Job || f == FormatSystem && !userName().MatchString(l.User) {
			continue
		}
		cmd, _ := cronCommand(l.Command)
		if calls, err := invocations(cmd); err == nil && len(calls) > 0 {
			return f, true
		}
	}
	return FormatUser, false
}

// userName is a plausible user field: what useradd accepts, and more.
// The patterns compile on first use: switchman links this package for its
// crontab command, and a plain run must not pay for them at start.
var userName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*\$?$`) })

// checkLine checks one line: problems on a line that invokes switchman are
// critical (the job would not run as meant), others are warnings.
func (r *Report) checkLine(file string, num int, text string, f Format, opts CheckOptions) {
	sev := nagios.Warning
	if strings.Contains(text, "switchman") {
		sev = nagios.Critical
	}
	l, err := ParseLine(text, f)
	if err != nil {
		r.add(file, num, sev, err.Error())
		return
	}
	if l.Kind != Job {
		return
	}
	if f == FormatSystem && path.Base(l.User) == "switchman" {
		r.add(file, num, nagios.Critical, fmt.Sprintf("no user field: cron would run the command as user %q", l.User))
		return
	}
	cmd, _ := cronCommand(l.Command)
	if len(cmd) > MaxCommand {
		r.add(file, num, sev, fmt.Sprintf("command is %d bytes; Debian's cron cuts it at %d", len(cmd), MaxCommand))
	}
	calls, err := invocations(cmd)
	if err != nil {
		r.add(file, num, sev, "command: "+err.Error())
		return
	}
	for _, c := range calls {
		r.Invocations++
		if o := r.checkCall(file, num, c, opts); o != nil {
			r.checkSchedule(file, num, l.Schedule, o)
		}
	}
}

// checkCall checks one invocation's words after the switchman word: they
// parse as a run would parse them, read alike under the original's rules
// (every note of cmdline.Notes is a warning), and name a defined group. An
// invocation of one of switchman's own commands gets its note only. It
// returns the wrapper line's options, nil for a command or a bad line.
func (r *Report) checkCall(file string, num int, c call, opts CheckOptions) *cmdline.Options {
	var o *cmdline.Options
	if cmdline.CommandAt(c.args, cmdline.Commands) < 0 {
		var err error
		if o, err = c.parse(); err != nil {
			r.add(file, num, nagios.Critical, "switchman flags: "+err.Error())
			return nil
		}
	}
	if !catchUpEntry(file, c.args) {
		for _, msg := range cmdline.Notes(c.args, opts.Original) {
			r.add(file, num, nagios.Warning, msg)
		}
	}
	if o != nil {
		r.checkGroup(file, num, c, o.Group, opts.Groups)
	}
	return o
}

// catchUpEntry reports whether args are the catch-up entry `crontab
// generate` writes into a cron.d file: "catch-up NAME", NAME the file's
// own name (or NAME.cron.d, debhelper's name for /etc/cron.d/NAME). It
// gets no note about what the original tool would have run:
// a program named catch-up given its own crontab's name is no line
// written for the original.
func catchUpEntry(file string, args []string) bool {
	if len(args) != 2 || args[0] != "catch-up" {
		return false
	}
	base := filepath.Base(file)
	return args[1] == base || args[1]+".cron.d" == base
}

// checkSchedule compares a wrapper line's --schedule with the line's own
// time fields, sched: another schedule makes its runs claim the wrong
// slots (a warning, or critical when it does not parse). A locked line
// without one gets a suggestion to add it, so that each scheduled run
// happens once fleet-wide.
func (r *Report) checkSchedule(file string, num int, sched string, o *cmdline.Options) {
	if o.Schedule == "" {
		if !o.NoLock && sched != "@reboot" {
			r.Suggestions = append(r.Suggestions, Problem{File: file, Line: num, Severity: nagios.OK,
				Msg: fmt.Sprintf("add --schedule %s: each scheduled run then happens once fleet-wide, and a host that fires it late skips it", quoteSchedule(sched))})
		}
		return
	}
	given, err := ParseSchedule(o.Schedule)
	switch {
	case err != nil:
		r.add(file, num, nagios.Critical, "switchman flags: invalid --schedule: "+err.Error())
	case given != sched:
		r.add(file, num, nagios.Warning, fmt.Sprintf("--schedule %q is not the line's schedule %q: its runs would claim the wrong slots", given, sched))
	}
}

// quoteSchedule writes a schedule as one sh word.
func quoteSchedule(s string) string {
	if q, err := Quote(s); err == nil {
		return q
	}
	return "'" + s + "'"
}

// checkGroup checks a --group against the groups defined in ZooKeeper
// (nil: not checked).
func (r *Report) checkGroup(file string, num int, c call, group string, groups map[string]bool) {
	if group == "" || groups == nil {
		return
	}
	switch {
	case group == computed:
		r.add(file, num, nagios.Warning, fmt.Sprintf("group %q is computed by the shell; not checked against ZooKeeper", group))
	case !groups[group]:
		r.add(file, num, nagios.Critical, fmt.Sprintf("group %q is not defined in ZooKeeper", group))
	}
}

func (r *Report) add(file string, line int, sev nagios.State, msg string) {
	r.Problems = append(r.Problems, Problem{File: file, Line: line, Severity: sev, Msg: msg})
}

// Finish adds the whole-run findings (nothing found at all is a warning:
// the check is probably pointed at the wrong files) and sorts the problems
// most severe first, then by file and line. Call it once, after the last
// CheckFile.
func (r *Report) Finish() {
	if r.Invocations == 0 {
		r.add("", 0, nagios.Warning, fmt.Sprintf("no switchman invocations found in %d files", r.Files))
	}
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// Status is the most severe problem's severity, or OK.
func (r *Report) Status() nagios.State {
	if len(r.Problems) == 0 {
		return nagios.OK
	}
	return r.Problems[0].Severity
}

// Result returns the report as a Nagios plugin result for service: the
// state, the most severe problem (or the counts), and performance data.
func (r *Report) Result(service string) nagios.Result {
	text := fmt.Sprintf("%d switchman lines in %d files", r.Invocations, r.Files)
	if n := len(r.Problems); n > 0 {
		text = r.Problems[0].String()
		if n > 1 {
			text += fmt.Sprintf(" (+%d more)", n-1)
		}
	}
	return nagios.Result{Service: service, State: r.Status(), Text: text, Perf: []string{
		fmt.Sprintf("files=%d;;;0", r.Files), fmt.Sprintf("switchman_lines=%d;;;0", r.Invocations),
		fmt.Sprintf("problems=%d;;;0", len(r.Problems))}}
}

// Summary returns the status line of `switchman crontab check`.
func (r *Report) Summary() string { return r.Result("CRONTAB").Line() }

// ValidCronDName reports whether Debian's cron reads a file of this name
// in /etc/cron.d: it skips names with anything but letters, digits, _ and
// - (run-parts' rule), which includes any name with a dot.
func ValidCronDName(name string) bool {
	return cronDName().MatchString(name)
}

var cronDName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// call is one switchman invocation in a command.
type call struct {
	args    []string
	dynamic map[string]bool // args that hold shell expansions
}

// computed stands in for a word the shell computes ("$G", "$(cat f)"):
// a valid value of switchman's name options, which the wrapper would
// refuse in the word as written.
const computed = "computed-by-the-shell"

// parse reads the invocation as a run would (cmdline.Parse). When that
// fails on a line with words the shell computes, it reads the line again
// with those words replaced by a stand-in: only the shell knows them.
func (c call) parse() (*cmdline.Options, error) {
	o, err := cmdline.Parse(c.args, false)
	if err == nil || len(c.dynamic) == 0 {
		return o, err
	}
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = a
		if c.dynamic[a] {
			args[i] = computed
		}
	}
	if o, err2 := cmdline.Parse(args, false); err2 == nil {
		return o, nil
	}
	return nil, err
}

// wrappers are commands that commonly run switchman as their argument;
// the first word named switchman after one of them is an invocation.
var wrappers = map[string]bool{
	"exec": true, "env": true, "nice": true, "ionice": true, "nohup": true,
	"setsid": true, "chronic": true, "timeout": true, "flock": true, "time": true,
}

// invocations finds the switchman invocations in a command: simple
// commands whose command word is named switchman, or whose command word is
// a wrapper (nice, flock, ...) followed by a word named switchman. A word
// named switchman elsewhere ("test -x /usr/bin/switchman") is not one.
func invocations(cmd string) ([]call, error) {
	toks, err := lex(cmd, false)
	if err != nil {
		return nil, err
	}
	var calls []call
	for _, words := range simpleCommands(cmd, toks) {
		if c, ok := findCall(words); ok {
			calls = append(calls, c)
		}
	}
	return calls, nil
}

var assignment = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`) })

func findCall(words []token) (call, bool) {
	for len(words) > 0 && words[0].assign {
		words = words[1:]
	}
	if len(words) == 0 {
		return call{}, false
	}
	start := -1
	switch {
	case path.Base(words[0].text) == "switchman":
		start = 0
	case wrappers[path.Base(words[0].text)]:
		for i, w := range words[1:] {
			if path.Base(w.text) == "switchman" {
				start = i + 1
				break
			}
		}
	}
	if start < 0 {
		return call{}, false
	}
	c := call{dynamic: map[string]bool{}}
	for _, w := range words[start+1:] {
		c.args = append(c.args, w.text)
		if w.dynamic {
			c.dynamic[w.text] = true
		}
	}
	return c, true
}

// redirections take the next word as their target.
var redirections = map[string]bool{"<": true, ">": true, ">>": true, "<&": true, ">&": true, "<>": true, ">|": true, "<<": true, "<<-": true, "&>": true}

// simpleCommands splits tokens at control operators and drops
// redirections with their targets and IO numbers ("2>&1"), marking
// assignments by their raw text (quotes make "A='x y'" one word).
func simpleCommands(src string, toks []token) [][]token {
	var out [][]token
	var cur []token
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.op && redirections[t.text]:
			if n := len(cur); n > 0 && cur[n-1].end == t.start && isDigits(cur[n-1].text) {
				cur = cur[:n-1]
			}
			i++ // the target
		case t.op:
			out = append(out, cur)
			cur = nil
		default:
			t.assign = assignment().MatchString(src[t.start:t.end])
			cur = append(cur, t)
		}
	}
	return append(out, cur)
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
