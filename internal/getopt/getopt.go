// Package getopt parses a command line the way Perl's Getopt::Long does
// with its default configuration, which is how the original switchman read
// its options: long options may be abbreviated to a unique prefix, written
// with one dash, two dashes or a plus, in any case, and may appear anywhere
// on the line (permute order) until "--". A negatable option ("lock!")
// also answers to "nolock" and "no-lock".
//
// It parses only; what an option means is the caller's business. Besides
// the options and arguments it reports which of those rules a line relied
// on, so a checker can say which lines read differently under a parser
// that stops at the first argument.
package getopt

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Kind is how an option takes its value.
type Kind int

const (
	// String takes a mandatory value: the rest of the word after "=", else
	// the next word, whatever it is (even "--" or "-x").
	String Kind = iota
	// Pair is a repeatable "KEY=VALUE" value (Getopt::Long's hash option):
	// a value without "=" is an error.
	Pair
	// Flag takes no value.
	Flag
	// Negatable takes no value; "noNAME" and "no-NAME" set it false.
	Negatable
	// Optional takes a value after "=", or the next word when Accept says
	// it is one; otherwise none.
	Optional
)

// Spec declares one option.
type Spec struct {
	// Names are the option's names, the canonical one first ("group", "g").
	Names []string
	Kind  Kind
	// Abbrev lets unique prefixes of the long names stand for the option.
	// The original's options have it; options added later do not, so an
	// abbreviation that was unique in the original stays unique.
	Abbrev bool
	// Accept, for Optional, says whether the next word is the value. It may
	// return an error to refuse a word that looks like a wrong value.
	Accept func(next string) (bool, error)
}

// Opt is one option found on the line.
type Opt struct {
	Name    string // canonical name
	Value   string // "" for Flag and Negatable options, or an Optional without value
	HasVal  bool   // an Optional got a value
	Negated bool   // Negatable written as noNAME or no-NAME
	Written string // the word as written, without any "=VALUE"
}

// Rule names a parsing rule a line relied on.
type Rule string

// The rules of Getopt::Long that a parser stopping at the first argument
// does not share.
const (
	RuleNoDashDash  Rule = "no --"                          // options and command not separated by "--"
	RuleAfter       Rule = "option after the command"       // an option after the first argument
	RuleAbbrev      Rule = "abbreviated option"             // --lockn for --lockname
	RuleOneDash     Rule = "long option with one dash"      // -group
	RuleShortLong   Rule = "short option with two dashes"   // --g
	RulePlus        Rule = "option written with +"          // +g
	RuleCase        Rule = "option not in lower case"       // --Group
	RuleNegated     Rule = "negated option"                 // --nolock
	RuleStringTaken Rule = "option value looks like option" // -g --
)

// Note is one use of a Rule, with the word that used it.
type Note struct {
	Rule Rule
	Word string
}

// Result is a parsed command line.
type Result struct {
	Opts []Opt
	// Args are the non-option words, in order, followed by every word after
	// "--" (Getopt::Long puts the permuted arguments back in front).
	Args []string
	// Loose is how many of Args stood before "--" (all of them without
	// one).
	Loose int
	// DashDash is set when "--" ended the options.
	DashDash bool
	Notes    []Note
}

// Config changes the parser as Getopt::Long's environment does.
type Config struct {
	// POSIX is Getopt::Long under POSIXLY_CORRECT: options stop at the
	// first argument, no abbreviations, no "+" prefix.
	POSIX bool
}

// ErrUsage is wrapped by every error Parse returns.
var ErrUsage = errors.New("getopt: bad command line")

type usageErr struct{ msg string }

func (e usageErr) Error() string        { return e.msg }
func (e usageErr) Is(target error) bool { return target == ErrUsage }

// errorf formats a one-line error; a word with a control character in it is
// shown quoted, so that the message stays one line.
func errorf(format string, a ...any) error {
	for i, v := range a {
		if w, ok := v.(string); ok && strings.IndexFunc(w, unicode.IsControl) >= 0 {
			a[i] = strconv.Quote(w)
		}
	}
	return usageErr{fmt.Sprintf(format, a...)}
}

// Parse parses args with specs. It returns the first error, as Getopt::Long
// warns about each and fails at the end; the result is nil then.
func Parse(specs []Spec, args []string, cfg Config) (*Result, error) {
	t := newTable(specs)
	r := &Result{}
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "--" {
			r.DashDash = true
			r.Args = append(r.Args, args[i+1:]...)
			break
		}
		if w == "+" && !cfg.POSIX {
			// Getopt::Long reads a lone "+" as an option without a name.
			return nil, errorf("unknown option +")
		}
		starter, body := splitStarter(w, cfg)
		if starter == "" {
			if cfg.POSIX {
				r.Args = append(r.Args, args[i:]...)
				r.Loose += len(args) - i
				break
			}
			r.Args = append(r.Args, w)
			r.Loose++
			continue
		}
		if len(r.Args) > 0 {
			r.note(RuleAfter, w)
		}
		n, err := t.option(r, starter, body, args[i+1:], cfg)
		if err != nil {
			return nil, err
		}
		i += n
	}
	if !r.DashDash && len(r.Args) > 0 {
		r.note(RuleNoDashDash, r.Args[0])
	}
	return r, nil
}

func (r *Result) note(rule Rule, word string) { r.Notes = append(r.Notes, Note{rule, word}) }

// splitStarter splits an option word into its prefix and the rest. A lone
// "-" is an argument, as in Getopt::Long.
func splitStarter(w string, cfg Config) (string, string) {
	for _, s := range []string{"--", "-", "+"} {
		if s == "+" && cfg.POSIX {
			continue
		}
		if strings.HasPrefix(w, s) && len(w) > len(s) {
			return s, w[len(s):]
		}
	}
	return "", w
}

type entry struct {
	spec    *Spec
	negated bool
}

type table struct {
	names  map[string]entry // lower-case name -> option
	abbrev []string         // sorted names that may be abbreviated
}

func newTable(specs []Spec) *table {
	t := &table{names: map[string]entry{}}
	for i := range specs {
		s := &specs[i]
		add := func(n string, neg bool) {
			t.names[strings.ToLower(n)] = entry{s, neg}
			if s.Abbrev {
				t.abbrev = append(t.abbrev, strings.ToLower(n))
			}
		}
		for _, n := range s.Names {
			add(n, false)
			if s.Kind == Negatable {
				add("no"+n, true)
				add("no-"+n, true)
			}
		}
	}
	sort.Strings(t.abbrev)
	return t
}

// lookup finds an option by its name as written, exactly or by a unique
// prefix (several prefixes of one option count as one, as "no" for
// "nolock" and "no-lock").
func (t *table) lookup(name, written string) (entry, string, error) {
	lc := strings.ToLower(name)
	if e, ok := t.names[lc]; ok {
		return e, lc, nil
	}
	var hits []string
	canon := map[string]bool{}
	for _, n := range t.abbrev {
		if strings.HasPrefix(n, lc) {
			hits = append(hits, n)
			e := t.names[n]
			key := e.spec.Names[0]
			if e.spec.Kind == Negatable {
				// Getopt::Long names every hit of a negatable option "noNAME",
				// so "lo" hitting "lock" and "lockname" is two options.
				key = "no" + key
			}
			canon[key] = true
		}
	}
	switch {
	case len(hits) == 0:
		return entry{}, "", errorf("unknown option %s", written)
	case len(canon) > 1:
		return entry{}, "", errorf("option %s is ambiguous (--%s)", written, strings.Join(hits, ", --"))
	}
	return t.names[hits[0]], hits[0], nil
}

// option parses the option word starter+body, taking its value from rest
// when it needs one. It returns how many words of rest it used.
func (t *table) option(r *Result, starter, body string, rest []string, cfg Config) (int, error) {
	name, val, hasEq := body, "", false
	// Getopt::Long looks for "=" from the second character on.
	if i := strings.IndexByte(body[1:], '='); i >= 0 {
		name, val, hasEq = body[:i+1], body[i+2:], true
	}
	written := starter + name
	var e entry
	var full string
	var err error
	if cfg.POSIX {
		var ok bool
		if e, ok = t.names[strings.ToLower(name)]; !ok {
			return 0, errorf("unknown option %s", written)
		}
		full = strings.ToLower(name)
	} else if e, full, err = t.lookup(name, written); err != nil {
		return 0, err
	}
	t.notes(r, starter, name, full, written)
	o := Opt{Name: e.spec.Names[0], Negated: e.negated, Written: written}
	switch e.spec.Kind {
	case Flag, Negatable:
		if hasEq {
			return 0, errorf("option %s does not take an argument", written)
		}
		r.Opts = append(r.Opts, o)
		return 0, nil
	case Optional:
		return optional(r, e.spec, o, written, val, hasEq, rest)
	}
	used := 0
	if !hasEq {
		if len(rest) == 0 {
			return 0, errorf("option %s requires an argument", written)
		}
		val, used = rest[0], 1
		if strings.HasPrefix(val, "-") {
			r.note(RuleStringTaken, written+" "+val)
		}
	} else if val == "" {
		return 0, errorf("option %s requires an argument", written)
	}
	if e.spec.Kind == Pair && !strings.Contains(val, "=") {
		return 0, errorf("option %s %s: needs KEY=VALUE", written, val)
	}
	o.Value, o.HasVal = val, true
	r.Opts = append(r.Opts, o)
	return used, nil
}

func optional(r *Result, s *Spec, o Opt, name, val string, hasEq bool, rest []string) (int, error) {
	if hasEq {
		o.Value, o.HasVal = val, true
		r.Opts = append(r.Opts, o)
		return 0, nil
	}
	used := 0
	if len(rest) > 0 && s.Accept != nil {
		ok, err := s.Accept(rest[0])
		if err != nil {
			return 0, errorf("option %s: %v", name, err)
		}
		if ok {
			o.Value, o.HasVal, used = rest[0], true, 1
		}
	}
	r.Opts = append(r.Opts, o)
	return used, nil
}

// notes records the spelling rules an option word used.
func (t *table) notes(r *Result, starter, name, full, written string) {
	lc := strings.ToLower(name)
	switch {
	case starter == "+":
		r.note(RulePlus, written)
	case starter == "-" && len(full) > 1:
		r.note(RuleOneDash, written)
	case starter == "--" && len(full) == 1:
		r.note(RuleShortLong, written)
	}
	if lc != full {
		r.note(RuleAbbrev, written)
	}
	if lc != name {
		r.note(RuleCase, written)
	}
	if e := t.names[full]; e.negated {
		r.note(RuleNegated, written)
	}
}
