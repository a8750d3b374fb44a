// Package crontabgen turns METADATA jobs (package metadata) into cron.d
// files whose lines run each script through the switchman wrapper, or
// into systemd units that run the same command, and writes them
// atomically or checks them against the files on disk.
//
// # Lines
//
// Each job becomes one line:
//
//	TIME USER [NAME=VALUE ...] /usr/bin/switchman [--group G] [--lockname L] [--lease R=C:T ...] [--no-lock] [--timeout D] [--wait[=D]] [...] [--splay D] --schedule TIME -- /installed/path/script PARAMS
//
// A block's splay key, else Options.Splay, becomes --splay; "splay: 0"
// keeps a block out of the fleet-wide splay.
//
// cron runs the command through /bin/sh, so every value the generator
// writes (group, lock name, leases, env values, the script's path) is one
// sh word: written as is when made of A-Z a-z 0-9 _ @ % + = : , . / - (or
// non-ASCII), single-quoted otherwise, and refused when it holds a control
// character, $, `, \, ' or ". Params are written as given, after
// crontab.SplitParams has checked that sh will only split them into words.
// Every % of the command is written \% (cron turns a bare % into a
// newline). A command longer than Debian cron's 999 bytes is an error.
//
// # Lock names
//
// A job's lock is, in order: its lockname key; else, when other blocks of
// the same script have different params, DeriveLockName(basename, params
// words), e.g. shard.pl-mod-2-rem-0 (a block without params keeps the
// basename); else the script's basename, which is the wrapper's own
// default. Blocks of one script with the same params share the lock: they
// are one job at several times. Two scripts whose blocks end up with the
// same lock name are an error, unless both set lockname (a deliberate
// mutual exclusion). A job with no_lock has no lock name.
//
// # Files
//
// One file per package, named PACKAGE (for /etc/cron.d) or PACKAGE.cron.d
// (debhelper's debian/PACKAGE.cron.d, which dh_installcron installs as
// /etc/cron.d/PACKAGE). Debian's cron skips /etc/cron.d files whose names
// hold anything but A-Z a-z 0-9 _ -, so such a package name is an error.
// A file has a header, SHELL and PATH when set, then the jobs sorted by
// source file and line: first the jobs without mailto, then one section per
// MAILTO value (cron applies a MAILTO line to the lines after it). Before
// the jobs, a file with a job that has a slot (locked, not @reboot) gets
// the catch-up entry, `switchman catch-up PACKAGE` at @reboot and at
// CatchUpSchedule, once per user of its catch_up jobs (else once as the
// default user): see catchUpUsers. Output
// depends only on the jobs and options, never on the order of the input
// or the file system.
//
// # systemd units
//
// With FormatSystemd each job becomes two units instead of a line:
// UNIT.service (Type=oneshot, User=, Environment= for PATH and each env,
// ExecStart= with the wrapper's arguments of the cron line, quoted for
// systemd) and UNIT.timer (OnCalendar= from crontab.Schedule.OnCalendar,
// AccuracySec=1s, WantedBy=timers.target). UNIT is UnitName of the job's
// lock (of the lock it would have, for no_lock). Blocks of one script with
// the same params share their units, one OnCalendar= each; two scripts
// that share a lock on purpose get UnitName(LOCK-SCRIPT). A schedule
// without a calendar event, and blocks that would need one unit with
// different settings, are errors like any other.
//
// A splay is the wrapper's --splay in ExecStart=, as in the cron line,
// never the timer's RandomizedDelaySec= (even with FixedRandomDelay=true,
// which systemd 252 has): the offset then is the same whichever format a
// host runs, fixed by the lock and switchman's own host identity rather
// than by /etc/machine-id (identical on cloned images, which would start
// together again); the run logs and records the wait, so its start is read
// against its offset; and a stop during the wait ends the run as a signal
// before the start. The cost: the oneshot service is activating while it
// waits (systemd gives oneshot no start timeout by default), and a start
// by hand waits too.
package crontabgen

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/metadata"
)

// Defaults of Options.
const (
	DefaultSwitchman = "/usr/bin/switchman"
	DefaultUser      = "root"
)

// Options say how to turn jobs into files. The zero value writes lines
// for root running /usr/bin/switchman, with the scripts at their absolute
// source paths and no SHELL or PATH line.
type Options struct {
	// Package is the package of blocks that do not name one.
	Package string
	// InstallDir, when set, is the absolute directory where the package
	// installs the scanned scripts; a script's path below the scanned
	// directory is kept below it. Empty: the script's absolute source path.
	InstallDir string
	// User is the user field for blocks without one ("" is DefaultUser).
	User string
	// Switchman is the wrapper's absolute path ("" is DefaultSwitchman).
	Switchman string
	// Shell and Path, when set, are written as SHELL= and PATH= lines.
	Shell, Path string
	// Debhelper names files PACKAGE.cron.d instead of PACKAGE, and also
	// requires package names to be Debian package names.
	Debhelper bool
	// Format says what to make: cron.d files (the zero value) or systemd
	// units.
	Format Format
	// Splay, when positive, is written as --splay into the lines (and
	// units) of blocks without a splay key of their own: the config's
	// fleet-wide splay.
	Splay time.Duration
}

// Entry is one job resolved to its cron line.
type Entry struct {
	Job      metadata.Job
	Package  string
	Script   string   // the installed path of the script
	LockName string   // "" when the job has no_lock
	Args     []string // the wrapper's arguments, after the switchman word
	Line     string   // the cron.d line, without newline (FormatCron)
	Unit     string   // the name of its units, without suffix (FormatSystemd)
	Calendar string   // its schedule as an OnCalendar= value (FormatSystemd)
	explicit bool     // LockName comes from the lockname key
}

// File is one generated file: a cron.d file, or with FormatSystemd one
// unit, a .service or a .timer.
type File struct {
	Name    string // file name: PACKAGE, or PACKAGE.cron.d with Options.Debhelper; UNIT.service or UNIT.timer
	Package string
	Shell   string // cron.d only
	Path    string
	Entries []Entry // the blocks it runs; a unit's share its service, one OnCalendar= each
	kind    fileKind
	// switchman is the wrapper's path in a unit's ExecStart= and in a
	// cron.d file's catch-up entry.
	switchman string
	// catchUp are the users of a cron.d file's catch-up entry
	// (catchUpUsers).
	catchUp []string
}

// fileKind tells a File's renderer.
type fileKind int

const (
	kindCron fileKind = iota
	kindService
	kindTimer
)

// Generate scans paths for METADATA (metadata.Scan) and builds the files:
// the whole pipeline of `switchman crontab generate` except writing. It
// reads the files once and keeps everything in memory.
//
// Problems found while reading do not stop the jobs that were read fine
// from being checked too: the error lists every problem of both steps.
func Generate(paths []string, opts Options) ([]File, error) {
	jobs, err := metadata.Scan(paths)
	var scanErrs metadata.ErrorList
	if err != nil && !errors.As(err, &scanErrs) {
		return nil, err
	}
	files, err := Build(jobs, opts)
	if scanErrs == nil {
		return files, err
	}
	var buildErrs metadata.ErrorList
	if err != nil && !errors.As(err, &buildErrs) {
		return nil, err // bad options: say that alone
	}
	return nil, append(scanErrs, buildErrs...).Err()
}

// Build resolves jobs into files, sorted by package. It checks everything
// before returning anything: on error the result is nil and the error is a
// metadata.ErrorList with every problem, one "file:line: message" each, or
// an error about the options themselves.
func Build(jobs []metadata.Job, opts Options) ([]File, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	b := &builder{opts: opts, checked: map[string]bool{}}
	entries := b.resolve(sortedJobs(jobs))
	b.lockNames(entries)
	b.sharedLocks(entries)
	for _, e := range entries {
		b.render(e)
	}
	if opts.Format == FormatSystemd {
		units := b.units(entries)
		if err := b.errs.Err(); err != nil {
			return nil, err
		}
		return units, nil
	}
	b.duplicates(entries)
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	return b.files(entries), nil
}

func (o Options) resolved() (Options, error) {
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.Switchman == "" {
		o.Switchman = DefaultSwitchman
	}
	if !path.IsAbs(o.Switchman) {
		return o, fmt.Errorf("switchman path %q is not absolute: cron's PATH is short", o.Switchman)
	}
	if _, err := crontab.Quote(o.Switchman); err != nil {
		return o, fmt.Errorf("switchman path: %w", err)
	}
	if o.Format != FormatCron && o.Format != FormatSystemd {
		return o, fmt.Errorf("unknown format %v", o.Format)
	}
	if o.InstallDir != "" && !path.IsAbs(o.InstallDir) {
		return o, fmt.Errorf("install dir %q is not absolute", o.InstallDir)
	}
	for name, v := range map[string]string{"shell": o.Shell, "path": o.Path} {
		if strings.ContainsFunc(v, unicode.IsControl) {
			return o, fmt.Errorf("%s %q contains a control character", name, v)
		}
	}
	return o, nil
}

// sortedJobs copies jobs in (file, line) order, so that the output does
// not depend on the caller's order.
func sortedJobs(jobs []metadata.Job) []metadata.Job {
	out := append([]metadata.Job(nil), jobs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// builder collects every problem while it resolves the jobs.
type builder struct {
	opts    Options
	errs    metadata.ErrorList
	checked map[string]bool // packages whose names were checked
}

func (b *builder) errorf(j *metadata.Job, key string, format string, args ...any) {
	b.errs = append(b.errs, metadata.Errorf(j.Path, j.LineOf(key), format, args...))
}

// resolve fills in package, user and installed path; jobs with a problem
// are reported and dropped.
func (b *builder) resolve(jobs []metadata.Job) []*Entry {
	var out []*Entry
	for i := range jobs {
		e := &Entry{Job: jobs[i], Package: jobs[i].Package}
		if e.Job.User == "" {
			e.Job.User = b.opts.User
		}
		if e.Package == "" {
			e.Package = b.opts.Package
		}
		ok := b.checkPackage(e)
		if script, err := b.installedPath(&e.Job); err != nil {
			b.errorf(&e.Job, "", "%v", err)
			ok = false
		} else {
			e.Script = script
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

// checkPackage reports a missing or unusable package name once per name.
func (b *builder) checkPackage(e *Entry) bool {
	if e.Package == "" {
		b.errorf(&e.Job, "", "no package: set \"package:\" in the block or give --package")
		return false
	}
	err := packageNameError(e.Package, b.opts.Debhelper, b.opts.Format)
	if err == nil {
		return true
	}
	if !b.checked[e.Package] {
		b.checked[e.Package] = true
		if e.Job.Package == "" {
			b.errs = append(b.errs, &metadata.Error{File: "--package", Msg: err.Error()})
		} else {
			b.errorf(&e.Job, "package", "%v", err)
		}
	}
	return false
}

// packageNameError says why name cannot name a cron.d file (and, for
// debhelper, a Debian package), or returns nil. Units are named by their
// locks: there the package only appears in a comment, one line.
func packageNameError(name string, debhelper bool, format Format) error {
	if format == FormatSystemd && !debhelper {
		if strings.ContainsFunc(name, unicode.IsControl) {
			return fmt.Errorf("package %q contains a control character", name)
		}
		return nil
	}
	if format == FormatCron && !crontab.ValidCronDName(name) {
		return fmt.Errorf("package %q: cron ignores /etc/cron.d files whose names hold anything but A-Z a-z 0-9 _ - (found %q)", name, badChars(name))
	}
	if debhelper && !debianName(name) {
		return fmt.Errorf("package %q is not a Debian package name (lower-case letters, digits and -, at least 2 characters, starting with a letter or digit)", name)
	}
	return nil
}

func badChars(name string) string {
	var bad []rune
	for _, r := range name {
		if !crontab.ValidCronDName(string(r)) && !strings.ContainsRune(string(bad), r) {
			bad = append(bad, r)
		}
	}
	return string(bad)
}

func debianName(name string) bool {
	if len(name) < 2 || name[0] == '-' {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// installedPath is where cron finds the script: below InstallDir, or the
// source's absolute path.
func (b *builder) installedPath(j *metadata.Job) (string, error) {
	if strings.ContainsFunc(j.Path, unicode.IsControl) {
		return "", errors.New("the file name contains a control character")
	}
	p := path.Join(b.opts.InstallDir, j.RelPath)
	if b.opts.InstallDir == "" {
		abs, err := filepath.Abs(j.Path)
		if err != nil {
			return "", err
		}
		p = filepath.ToSlash(abs)
	}
	if _, err := crontab.Quote(p); err != nil {
		return "", fmt.Errorf("script path: %w", err)
	}
	return p, nil
}
