package cmdline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/acme/switchman/internal/getopt"
)

// Notes says how a wrapper line's meaning rests on the original tool's
// reading of it (Getopt::Long's rules, Perl's exec of one string) or on
// the rule that tells a program from one of switchman's commands (see
// CommandAt), one sentence each, ending with the line written so that any
// parser reads it the same. It returns nothing for a line that needs no
// rule, or that Parse refuses. With ownOptions, a line using options the
// original does not know (it refuses the line) gets a note too.
func Notes(args []string, ownOptions bool) []string {
	if i := CommandAt(args, Commands); i >= 0 {
		program := append(append(slices.Clone(args[:i]), "--"), args[i:]...)
		return []string{fmt.Sprintf("%q is a switchman command here but a program the original ran under its lock: write \"switchman %s\" for the program",
			args[i], shellJoin(program))}
	}
	o, res, err := parse(args, false)
	if err != nil || o.Help || o.Version {
		return nil
	}
	var notes []string
	if n := ruleNote(o, res); n != "" {
		notes = append(notes, n)
	}
	var own []string
	for _, opt := range res.Opts {
		if name := opt.Name; name != "lock" && !originalOptions[name] && !slices.Contains(own, "--"+name) {
			own = append(own, "--"+name)
		}
	}
	if len(own) > 0 && ownOptions {
		notes = append(notes, fmt.Sprintf("%s: this tool's only; the original refuses the line (unknown option)", strings.Join(own, ", ")))
	}
	if len(o.Command) == 1 && (len(o.Argv) != 1 || o.Argv[0] != o.Command[0]) {
		how := "runs through /bin/sh -c"
		if o.Argv[0] != "/bin/sh" {
			how = fmt.Sprintf("is split at blanks into %d words", len(o.Argv))
		}
		notes = append(notes, fmt.Sprintf("one-word command %q %s, as the original's Perl exec does", o.Command[0], how))
	}
	return notes
}

// ruleNote is the note on the reading rules a parsed line relied on, or
// "": a command word before "--" that names a switchman command (a program
// only because an option stands before it), and Getopt::Long's rules.
func ruleNote(o *Options, res *getopt.Result) string {
	var says []string
	if res.Loose > 0 && slices.Contains(Commands, o.Command[0]) {
		says = append(says, fmt.Sprintf("%q is also a switchman command: it names the program only because an option stands before it", o.Command[0]))
	}
	var rules []string
	for _, n := range res.Notes {
		if n.Rule == getopt.RuleNegated {
			continue // --nolock is the original's own spelling, read alike by both
		}
		msg := string(n.Rule)
		if n.Rule != getopt.RuleNoDashDash {
			msg += " " + n.Word
		}
		if !slices.Contains(rules, msg) {
			rules = append(rules, msg)
		}
	}
	if len(rules) > 0 {
		says = append(says, fmt.Sprintf("read by the original's option rules (%s)", strings.Join(rules, ", ")))
	}
	if len(says) == 0 {
		return ""
	}
	return strings.Join(says, "; ") + "; unambiguous: switchman " + shellJoin(canonicalLine(o, res))
}

// canonicalLine writes a parsed line with every option in full, long
// form, then "--", then the command.
func canonicalLine(o *Options, res *getopt.Result) []string {
	var out []string
	for _, opt := range res.Opts {
		switch {
		case opt.Name == "lock" && opt.Negated:
			out = append(out, "--no-lock")
		case opt.Name == "lock":
			out = append(out, "--lock")
		case opt.HasVal:
			out = append(out, "--"+opt.Name, opt.Value)
		default:
			out = append(out, "--"+opt.Name)
		}
	}
	return append(append(out, "--"), o.Command...)
}

// shellJoin quotes words for a shell (and a crontab line: "%" is cron's
// newline, so it is escaped).
func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		switch {
		case w == "":
			q[i] = "''"
		case strings.IndexFunc(w, func(r rune) bool { return !isSafeShell(r) }) < 0:
			q[i] = w
		default:
			q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		q[i] = strings.ReplaceAll(q[i], "%", `\%`)
	}
	return strings.Join(q, " ")
}

func isSafeShell(r rune) bool {
	return r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ':' || r == ',' || r == '+' || r == '@' || r == '%' ||
		(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
