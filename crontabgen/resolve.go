package crontabgen

import (
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/metadata"
)

// lockNames gives every job that takes a lock its lock name (see the
// package doc) and reports derived names that are invalid or collide.
func (b *builder) lockNames(entries []*Entry) {
	for _, script := range byScript(entries) {
		b.scriptLockNames(script)
	}
}

// byScript groups entries by source file, keeping their order.
func byScript(entries []*Entry) [][]*Entry {
	var groups [][]*Entry
	index := map[string]int{}
	for _, e := range entries {
		i, ok := index[e.Job.Path]
		if !ok {
			i = len(groups)
			index[e.Job.Path] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	return groups
}

// paramsKey identifies params by the words sh passes, so that quoting
// differences do not make two blocks different.
func paramsKey(words []string) string { return strings.Join(words, "\x00") }

func (b *builder) scriptLockNames(script []*Entry) {
	distinct := map[string]bool{}
	for _, e := range script {
		switch {
		case e.Job.NoLock:
		case e.Job.LockName != "":
			e.LockName, e.explicit = e.Job.LockName, true
		default:
			distinct[paramsKey(e.Job.Words)] = true
		}
	}
	byName := map[string]*Entry{}
	for _, e := range script {
		if e.Job.NoLock || e.explicit {
			continue
		}
		base := path.Base(e.Script)
		e.LockName = base
		if len(distinct) > 1 && len(e.Job.Words) > 0 {
			e.LockName = DeriveLockName(base, e.Job.Words)
		}
		if err := metadata.CheckLockName(e.LockName); err != nil {
			b.errorf(&e.Job, "", "derived %v; set lockname", err)
			continue
		}
		if other, ok := byName[e.LockName]; ok && paramsKey(other.Job.Words) != paramsKey(e.Job.Words) {
			b.errorf(&e.Job, "", "params %q and %q (line %d) give the same lock name %q; set lockname in one of them",
				e.Job.Params, other.Job.Params, other.Job.Line, e.LockName)
			continue
		}
		byName[e.LockName] = e
	}
}

// sharedLocks reports two scripts with one lock name: the second would be
// skipped whenever the first runs. Both setting lockname is deliberate.
func (b *builder) sharedLocks(entries []*Entry) {
	first := map[string]*Entry{}
	for _, e := range entries {
		if e.LockName == "" {
			continue
		}
		f, ok := first[e.LockName]
		if !ok {
			first[e.LockName] = e
			continue
		}
		if f.Job.Path != e.Job.Path && !(f.explicit && e.explicit) {
			b.errorf(&e.Job, "lockname", "lock name %q is also the lock of %s:%d: two scripts sharing a lock skip each other's runs (set lockname in both blocks if that is intended)",
				e.LockName, f.Job.Path, f.Job.LineOf("lockname"))
		}
	}
}

// render builds the wrapper's arguments of one entry, then its cron line
// or its calendar event.
func (b *builder) render(e *Entry) {
	j := &e.Job
	e.Args = wrapperArgs(e, b.opts.Format != FormatSystemd, b.opts.Splay)
	if _, err := cmdline.Parse(append(slices.Clone(e.Args), j.Words...), false); err != nil {
		b.errorf(j, "", "switchman would refuse this job: %v", err)
		return
	}
	if b.opts.Format == FormatSystemd {
		b.calendar(e)
		return
	}
	b.cronLine(e)
}

// cronLine builds the cron.d line of an entry whose Args are set.
func (b *builder) cronLine(e *Entry) {
	j := &e.Job
	words := envWords(j.Env)
	for _, a := range append([]string{b.opts.Switchman}, e.Args...) {
		q, err := crontab.Quote(a)
		if err != nil {
			b.errorf(j, "", "%v", err) // values were checked when parsed; this is a safety net
			return
		}
		words = append(words, q)
	}
	cmd := strings.Join(words, " ")
	if j.Params != "" {
		cmd += " " + j.Params
	}
	cmd, err := crontab.EscapePercent(cmd)
	if err != nil {
		b.errorf(j, "params", "%v", err)
		return
	}
	if len(cmd) > crontab.MaxCommand {
		b.errorf(j, "", "the command is %d bytes; Debian's cron cuts commands at %d bytes (shorten params, paths or names)", len(cmd), crontab.MaxCommand)
		return
	}
	e.Line = j.Time + " " + j.User + " " + cmd
}

// wrapperArgs are the switchman flags of a job, then -- and the script.
// splay is the fleet-wide splay of blocks without their own. With
// schedule, the flags end with --schedule TIME: every cron line tells its
// run its schedule, so that the run claims its slot once fleet-wide, and
// --standby D and --catch-up D when the block asks for them (they need
// the schedule). A
// systemd service has none: the blocks that share it share its command,
// one timer firing it at all their times.
func wrapperArgs(e *Entry, schedule bool, splay time.Duration) []string {
	j := &e.Job
	var args []string
	if j.Group != "" {
		args = append(args, "--group", j.Group)
	}
	if e.LockName != "" {
		args = append(args, "--lockname", e.LockName)
	}
	for _, l := range j.Leases {
		args = append(args, "--lease", l)
	}
	if j.NoLock {
		args = append(args, "--no-lock")
	}
	if j.Timeout != "" {
		args = append(args, "--timeout", j.Timeout)
	}
	switch j.Wait {
	case "":
	case "true":
		args = append(args, "--wait")
	default:
		args = append(args, "--wait="+j.Wait)
	}
	if j.HaltOnFailure {
		args = append(args, "--halt-on-failure")
	}
	if j.ExpectedDuration != "" {
		args = append(args, "--expected-duration", j.ExpectedDuration)
	}
	if j.MinInterval != "" {
		args = append(args, "--min-interval", j.MinInterval)
	}
	if j.Notify != "" {
		args = append(args, "--notify", j.Notify)
	}
	for _, l := range j.Limits {
		// One word with "=": a negative --nice is never read as a flag.
		args = append(args, "--"+l.Flag+"="+l.Value)
	}
	if j.LimitsBestEffort {
		args = append(args, "--limits-best-effort")
	}
	switch {
	case j.Splay == "" && splay > 0:
		args = append(args, "--splay", shortDuration(splay))
	case j.Splay != "" && j.Splay != "0":
		args = append(args, "--splay", j.Splay)
	}
	if schedule {
		args = append(args, "--schedule", j.Time)
		if j.Standby != "" {
			args = append(args, "--standby", j.Standby)
		}
		if j.CatchUp != "" {
			args = append(args, "--catch-up", j.CatchUp)
		}
	}
	return append(args, "--", e.Script)
}

// shortDuration writes d as the wrapper reads it, without the zero units
// that time.Duration's String adds: 2m, not 2m0s; 1h, not 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// envWords writes NAME=VALUE assignments before the command, where sh
// applies them to this command only.
func envWords(env []string) []string {
	var out []string
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if value != "" {
			value, _ = crontab.Quote(value) // checked when parsed
		}
		out = append(out, name+"="+value)
	}
	return out
}

// duplicates reports two jobs that would write the same line in one file.
func (b *builder) duplicates(entries []*Entry) {
	seen := map[string]*Entry{}
	for _, e := range entries {
		if e.Line == "" {
			continue
		}
		key := e.Package + "\n" + e.Line
		if f, ok := seen[key]; ok {
			b.errorf(&e.Job, "", "same cron line as %s:%d: %s", f.Job.Path, f.Job.Line, e.Line)
			continue
		}
		seen[key] = e
	}
}

// files groups the entries by package, each sorted for output.
func (b *builder) files(entries []*Entry) []File {
	index := map[string]int{}
	var files []File
	for _, e := range entries {
		i, ok := index[e.Package]
		if !ok {
			i = len(files)
			index[e.Package] = i
			files = append(files, File{Name: b.fileName(e.Package), Package: e.Package, Shell: b.opts.Shell, Path: b.opts.Path})
		}
		files[i].Entries = append(files[i].Entries, *e)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Package < files[j].Package })
	for i := range files {
		sortEntries(files[i].Entries)
		files[i].switchman = b.opts.Switchman
		files[i].catchUp = catchUpUsers(files[i].Entries, b.opts.User)
	}
	return files
}

func (b *builder) fileName(pkg string) string {
	if b.opts.Debhelper {
		return pkg + ".cron.d"
	}
	return pkg
}

// sortEntries puts jobs without mailto first, then each MAILTO section in
// value order; within a section, by source file and line.
func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Job, es[j].Job
		if (a.MailTo == nil) != (b.MailTo == nil) {
			return a.MailTo == nil
		}
		if a.MailTo != nil && *a.MailTo != *b.MailTo {
			return *a.MailTo < *b.MailTo
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
}
