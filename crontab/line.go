package crontab

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Format says whether the job lines of a file carry a user field.
type Format int

const (
	// FormatAuto picks FormatSystem or FormatUser from the file's path,
	// see FormatOf.
	FormatAuto Format = iota
	// FormatSystem is /etc/crontab and /etc/cron.d: "TIME USER COMMAND".
	FormatSystem
	// FormatUser is a user's crontab (crontab -l, /var/spool/cron):
	// "TIME COMMAND".
	FormatUser
)

// FormatOf returns FormatSystem for /etc/crontab, files in a directory
// named cron.d, and files named *.cron.d (debhelper's source name), and
// FormatUser for anything else. (Report.CheckFile also looks at the
// content of a file FormatOf calls FormatUser: when its switchman lines all
// have a user field, it is read as FormatSystem.)
func FormatOf(path string) Format {
	clean := filepath.Clean(path)
	if clean == "/etc/crontab" || filepath.Base(filepath.Dir(clean)) == "cron.d" ||
		strings.HasSuffix(clean, ".cron.d") {
		return FormatSystem
	}
	return FormatUser
}

// Kind is what a crontab line is.
type Kind int

// The kinds of crontab lines.
const (
	Blank Kind = iota
	Comment
	Env
	Job
)

// Line is one parsed crontab line.
type Line struct {
	Kind     Kind
	Name     string // Env: the variable's name
	Value    string // Env: its value, as cron stores it
	Schedule string // Job: the time fields, normalized by ParseSchedule
	User     string // Job in FormatSystem: the user field
	Command  string // Job: the command as written, before cron's % handling
}

var envLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$`) })

// ParseLine parses one line of a crontab in the given format (FormatAuto
// is treated as FormatUser). Blank lines, comments and NAME=VALUE lines
// need no further checks; a job line must have a valid schedule, the user
// field when the format has one, and a command. Errors match ErrLine or
// ErrSchedule.
func ParseLine(s string, f Format) (Line, error) {
	trimmed := strings.TrimLeft(s, " \t")
	switch {
	case trimmed == "":
		return Line{Kind: Blank}, nil
	case trimmed[0] == '#':
		return Line{Kind: Comment}, nil
	}
	if m := envLine().FindStringSubmatch(s); m != nil {
		return Line{Kind: Env, Name: m[1], Value: envValue(m[2])}, nil
	}
	return parseJob(trimmed, f)
}

// envValue strips blanks around the value and one pair of matching quotes,
// as cron's load_env does.
func envValue(v string) string {
	v = strings.Trim(v, " \t")
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func parseJob(s string, f Format) (Line, error) {
	nTime := 5
	if strings.HasPrefix(s, "@") {
		nTime = 1
	}
	nFields := nTime
	if f == FormatSystem {
		nFields++
	}
	fields, rest := cutFields(s, nFields)
	if len(fields) < nFields || strings.TrimSpace(rest) == "" {
		return Line{}, &kindError{kind: ErrLine, msg: missingWhat(f, nTime)}
	}
	sched, err := ParseSchedule(strings.Join(fields[:nTime], " "))
	if err != nil {
		return Line{}, err
	}
	l := Line{Kind: Job, Schedule: sched, Command: rest}
	if f == FormatSystem {
		l.User = fields[nTime]
	}
	return l, nil
}

func missingWhat(f Format, nTime int) string {
	what := "5 time fields"
	if nTime == 1 {
		what = "an @keyword"
	}
	if f == FormatSystem {
		return fmt.Sprintf("want %s, a user and a command", what)
	}
	return fmt.Sprintf("want %s and a command", what)
}

// cutFields splits off the first n blank-separated fields of s and returns
// them with the rest of the line, whose inner spacing is kept.
func cutFields(s string, n int) (fields []string, rest string) {
	for len(fields) < n {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return fields, ""
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		fields = append(fields, s[:end])
		s = s[end:]
	}
	return fields, strings.TrimLeft(s, " \t")
}
