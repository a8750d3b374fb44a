package metadata

import (
	"bytes"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	openTag  = "<crontab>"
	closeTag = "</crontab>"
)

// Parse reads every METADATA block of one script. name is used in errors
// and as Job.Path; Job.RelPath is its base name. The error, when not nil,
// is an ErrorList with every problem of the file; the jobs of the blocks
// without problems are returned either way.
func Parse(name string, data []byte) ([]Job, error) {
	if !bytes.Contains(data, []byte("crontab>")) {
		return nil, nil // the common case: no block, nothing to split
	}
	p := &parser{file: name}
	text := strings.TrimSuffix(string(data), "\n")
	for n := 1; ; n++ {
		line, rest, more := strings.Cut(text, "\n")
		p.line(n, strings.TrimSuffix(line, "\r"))
		if !more {
			break
		}
		text = rest
	}
	if p.open != nil {
		p.errorf(p.open.job.Line, "<crontab> block is never closed (no %s before the end of the file)", p.open.closing())
	}
	rel := path.Base(strings.ReplaceAll(name, "\\", "/"))
	for i := range p.jobs {
		p.jobs[i].RelPath = rel
	}
	return p.jobs, p.errs.Err()
}

// parser is the state of reading one file.
type parser struct {
	file   string
	errs   ErrorList
	jobs   []Job
	inMeta bool   // inside a POD "=head1 METADATA" section
	open   *block // the block being read, if any
}

// block is a <crontab> block being read.
type block struct {
	marker string // "#", "//", or "" for POD
	job    Job
	bad    bool // a value was refused; the job is not returned
}

func (b *block) closing() string {
	if b.marker == "" {
		return closeTag
	}
	return b.marker + " " + closeTag
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, Errorf(p.file, line, format, args...))
}

func (p *parser) line(n int, text string) {
	if p.open != nil && p.inBlock(n, text) {
		return
	}
	p.outside(n, text)
}

// outside handles a line that is not part of an open block: POD commands,
// and the start of a block.
func (p *parser) outside(n int, text string) {
	if strings.HasPrefix(text, "=") {
		p.podCommand(text)
		return
	}
	marker, content, ok := commentText(text)
	if !ok && p.inMeta {
		marker, content, ok = "", strings.TrimSpace(text), true
	}
	if !ok {
		return
	}
	switch content {
	case openTag:
		p.open = &block{marker: marker, job: Job{Path: p.file, Line: n, keyLines: map[string]int{}}}
	case closeTag:
		p.errorf(n, "%s without a <crontab> before it", closeTag)
	}
}

// podCommand follows POD structure: blocks in POD form count only inside
// the METADATA section.
func (p *parser) podCommand(text string) {
	fields := strings.Fields(text)
	switch fields[0] {
	case "=head1":
		p.inMeta = len(fields) == 2 && fields[1] == "METADATA"
	case "=cut":
		p.inMeta = false
	}
}

// commentText splits a "#" or "//" comment line into its marker and its
// text without surrounding blanks.
func commentText(text string) (marker, content string, ok bool) {
	t := strings.TrimLeft(text, " \t")
	for _, m := range []string{"//", "#"} {
		if strings.HasPrefix(t, m) {
			return m, strings.TrimSpace(t[len(m):]), true
		}
	}
	return "", "", false
}

// inBlock reads one line of the open block. It returns false when the
// line ends the block without closing it, so the caller reads the line
// again as outside any block.
func (p *parser) inBlock(n int, text string) bool {
	b := p.open
	content, ok := b.lineText(text)
	if !ok {
		p.errorf(b.job.Line, "<crontab> block is not closed: line %d comes before %s", n, b.closing())
		p.open = nil
		return false
	}
	switch {
	case content == closeTag:
		p.finish()
	case content == openTag:
		p.errorf(n, "<crontab> inside the block opened at line %d (missing %s?)", b.job.Line, closeTag)
		p.open = nil
		return false
	case content == "" || strings.HasPrefix(content, "#"):
		// blank line or comment inside the block
	default:
		p.keyValue(n, content)
	}
	return true
}

// lineText returns the block text of a line, or false when the line does
// not belong to a block of this form.
func (b *block) lineText(text string) (string, bool) {
	if b.marker == "" {
		if strings.HasPrefix(text, "=") {
			return "", false // a POD command ends the verbatim section
		}
		return strings.TrimSpace(text), true
	}
	marker, content, ok := commentText(text)
	if !ok || marker != b.marker {
		return "", false
	}
	return content, true
}

func (p *parser) finish() {
	b := p.open
	p.open = nil
	if b.job.Time == "" {
		if _, set := b.job.keyLines["time"]; !set {
			p.errorf(b.job.Line, "block has no time (want e.g. \"time: */5 * * * *\" or \"time: @daily\")")
		}
		return
	}
	if b.job.NoLock && b.job.LockName != "" {
		p.errorf(b.job.LineOf("lockname"), "lockname %q and no_lock: a job that takes no lock has no lock name", b.job.LockName)
		return
	}
	if b.job.NoLock && b.job.Wait != "" {
		p.errorf(b.job.LineOf("wait"), "wait and no_lock: wait queues for the lock, and a job with no_lock takes none")
		return
	}
	if b.job.NoLock && b.job.CatchUp != "" {
		p.errorf(b.job.LineOf("catch_up"), "catch_up and no_lock: a caught-up slot is claimed with the lock, and a job with no_lock takes none")
		return
	}
	if b.job.Standby != "" && (b.job.Group == "" || b.job.NoLock) {
		p.errorf(b.job.LineOf("standby"), "standby needs group and the lock (no no_lock): it orders the group's hosts on each slot")
		return
	}
	if b.job.NoLock && b.job.HaltOnFailure {
		p.errorf(b.job.LineOf("halt_on_failure"), "halt_on_failure and no_lock: the halt is kept under the lock's name, and a job with no_lock has none")
		return
	}
	if !b.bad {
		p.jobs = append(p.jobs, b.job)
	}
}

func (p *parser) keyValue(n int, content string) {
	b := p.open
	key, value, ok := strings.Cut(content, ":")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok {
		p.errorf(n, "want \"key: value\", got %q", content)
		b.bad = true
		return
	}
	k, known := keys[key]
	if !known {
		p.errorf(n, "unknown key %q%s (known keys: %s)", key, didYouMean(key), keyNames)
		b.bad = true
		return
	}
	if first, dup := b.job.keyLines[key]; dup && !k.repeatable {
		p.errorf(n, "%s given twice (first at line %d)", key, first)
		b.bad = true
		return
	}
	b.job.keyLines[key] = n
	err := checkText(value)
	if err == nil {
		err = k.set(&b.job, value)
	}
	if err != nil {
		p.errorf(n, "%s: %v", key, err)
		b.bad = true
	}
}

// checkText refuses what no value may hold: invalid UTF-8 and control
// characters other than tab (a newline would end the cron line).
func checkText(v string) error {
	if !utf8.ValidString(v) {
		return errf("%q is not valid UTF-8", v)
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\t' {
			return errf("control character %U in %q", r, v)
		}
	}
	return nil
}

func didYouMean(key string) string {
	for _, alt := range []string{strings.ReplaceAll(key, "-", "_"), strings.ToLower(key)} {
		if _, ok := keys[alt]; ok && alt != key {
			return " (did you mean " + alt + "?)"
		}
	}
	return ""
}
