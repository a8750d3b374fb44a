package crontab

import (
	"strings"

	"github.com/acme/switchman/cmdline"
)

// Wrapper is one switchman wrapper line of a crontab file: a job line
// whose command runs switchman around a command (not one of switchman's
// own commands).
type Wrapper struct {
	Line     int    // 1-based line number
	User     string // the user field (FormatSystem); "" in a user's crontab
	Schedule string // the line's time fields, normalized
	Options  *cmdline.Options
}

// Wrappers returns the wrapper lines of a crontab file's content, read in
// format f (FormatAuto: FormatOf(name)), in file order. Lines that do not
// parse, as a line or as a wrapper line, are left out: `crontab check`
// reports them, and cron would not run them as meant.
func Wrappers(name string, data []byte, f Format) []Wrapper {
	if f == FormatAuto {
		f = FormatOf(name)
	}
	var out []Wrapper
	for i, text := range strings.Split(string(data), "\n") {
		l, err := ParseLine(strings.TrimSuffix(text, "\r"), f)
		if err != nil || l.Kind != Job || !strings.Contains(l.Command, "switchman") {
			continue
		}
		cmd, _ := cronCommand(l.Command)
		calls, err := invocations(cmd)
		if err != nil {
			continue
		}
		for _, c := range calls {
			if cmdline.CommandAt(c.args, cmdline.Commands) >= 0 {
				continue
			}
			if o, err := cmdline.Parse(c.args, false); err == nil {
				out = append(out, Wrapper{Line: i + 1, User: l.User, Schedule: l.Schedule, Options: o})
			}
		}
	}
	return out
}
