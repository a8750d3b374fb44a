package crontabgen

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/acme/switchman/crontab"
)

// Format is the kind of files Build makes. It implements pflag.Value (and
// flag.Value), so a command binds it to a flag directly.
type Format int

// The formats: cron.d files, or systemd units.
const (
	FormatCron    Format = iota // one cron.d file per package (the zero value)
	FormatSystemd               // a .service and a .timer per job
)

var formatNames = [...]string{FormatCron: "cron", FormatSystemd: "systemd"}

// String returns "cron" or "systemd".
func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatNames[f]
}

// Set parses "cron" or "systemd".
func (f *Format) Set(s string) error {
	for i, name := range formatNames {
		if s == name {
			*f = Format(i)
			return nil
		}
	}
	return fmt.Errorf("%q is not a format: want cron or systemd", s)
}

// Type names the flag's value in usage text.
func (f *Format) Type() string { return "cron|systemd" }

// UnitPrefix starts the name of every unit the generator writes, so that
// a job named like a daemon (a script called "backup") never takes that
// daemon's unit name, and `systemctl list-timers 'switchman-*'` lists them.
const UnitPrefix = "switchman-"

// maxUnitName is the longest unit name without its suffix: systemd allows
// 255 bytes, and ".service" takes 8 of them.
const maxUnitName = 255 - len(".service")

// UnitName returns the name, without ".service" or ".timer", of the units
// of the job whose lock is lock: UnitPrefix + lock, with every byte other
// than A-Z a-z 0-9 : _ . - written \xNN as systemd-escape(1) writes it
// ("a@b" gives switchman-a\x40b). Unlike systemd-escape it keeps "-" (a
// lock name holds no "/" for it to stand for). A name longer than systemd
// allows is cut and ends in "-" and 8 hex digits of the lock's SHA-256.
func UnitName(lock string) string {
	var b strings.Builder
	b.WriteString(UnitPrefix)
	cut := b.Len() // the longest prefix, at a byte's boundary, that leaves room for the hash
	for i := 0; i < len(lock); i++ {
		if b.Len() <= maxUnitName-1-hashLen {
			cut = b.Len()
		}
		if c := lock[i]; unitNameByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	if name := b.String(); len(name) <= maxUnitName {
		return name
	}
	return b.String()[:cut] + "-" + shortHash(lock)
}

func unitNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ':' || c == '_' || c == '.' || c == '-'
}

// calendar translates the entry's schedule into its OnCalendar= value, or
// reports the block: file:line of the time key, the block's line, the
// schedule and why.
func (b *builder) calendar(e *Entry) {
	j := &e.Job
	s, err := crontab.Compile(j.Time)
	if err == nil {
		e.Calendar, err = s.OnCalendar()
	}
	if err != nil {
		b.errorf(j, "time", "block at line %d: time %q: %v", j.Line, j.Time, err)
	}
}

// unitKeys names each entry's units by its lock (see the package doc).
func unitKeys(entries []*Entry) {
	scripts := map[string]map[string]bool{} // lock name -> scripts holding it
	for _, e := range entries {
		if e.LockName != "" {
			if scripts[e.LockName] == nil {
				scripts[e.LockName] = map[string]bool{}
			}
			scripts[e.LockName][e.Job.Path] = true
		}
	}
	for _, script := range byScript(entries) {
		distinct := map[string]bool{}
		for _, e := range script {
			distinct[paramsKey(e.Job.Words)] = true
		}
		for _, e := range script {
			own := path.Base(e.Script)
			if len(distinct) > 1 && len(e.Job.Words) > 0 {
				own = DeriveLockName(own, e.Job.Words)
			}
			switch {
			case e.LockName == "":
				e.Unit = UnitName(own)
			case len(scripts[e.LockName]) > 1:
				e.Unit = UnitName(e.LockName + "-" + own)
			default:
				e.Unit = UnitName(e.LockName)
			}
		}
	}
}

// units groups the entries into units: blocks with one unit name must run
// the same service (they are one job at several times, each block one
// OnCalendar= of the timer); anything else is reported.
func (b *builder) units(entries []*Entry) []File {
	unitKeys(entries)
	index := map[string]int{}
	var files []File
	for _, e := range entries {
		if e.Calendar == "" {
			continue // reported
		}
		i, ok := index[e.Unit]
		if !ok {
			index[e.Unit] = len(files)
			files = append(files, File{Name: e.Unit + ".service", Package: e.Package, Path: b.opts.Path,
				kind: kindService, switchman: b.opts.Switchman, Entries: []Entry{*e}})
			continue
		}
		first := &files[i].Entries[0]
		if first.Package != e.Package || serviceBody(first, b.opts.Switchman, b.opts.Path) != serviceBody(e, b.opts.Switchman, b.opts.Path) || !sameTimer(first, e) {
			b.errorf(&e.Job, "", "unit %s.service also runs the block at %s:%d, with other settings (package, user, env, flags or params): systemd has one unit per name; set a lockname of its own in one of them",
				e.Unit, first.Job.Path, first.Job.Line)
			continue
		}
		files[i].Entries = append(files[i].Entries, *e)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	out := make([]File, 0, 2*len(files))
	for _, f := range files {
		timer := f
		timer.Name, timer.kind = strings.TrimSuffix(f.Name, ".service")+".timer", kindTimer
		out = append(out, f, timer)
	}
	return out
}
