package crontab

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// safeByte reports whether an ASCII byte means nothing to sh, in any
// position of a word: such words need no quoting.
func safeByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_@%+=:,./-", c) >= 0
}

// token is one word or operator of a shell command line.
type token struct {
	text       string // the word after quote removal, or the operator
	op         bool   // text is an operator (";", "&&", ">", ...)
	dynamic    bool   // the word holds a $ or ` expansion, kept as written
	assign     bool   // the word is a NAME=value assignment (set by simpleCommands)
	start, end int    // byte offsets of the token in the input
}

// lexer splits sh text into tokens. In strict mode (METADATA params) it
// refuses everything that would make sh do more than split words; in
// lenient mode (checking existing crontabs) it keeps operators and
// expansions as tokens, as sh would see them.
type lexer struct {
	s      string
	i      int
	strict bool
	toks   []token
	word   strings.Builder
	inWord bool
	dyn    bool
	start  int
}

// SplitParams splits METADATA params into the words sh will pass to the
// script, and refuses anything that sh would do beyond splitting words:
// unbalanced quotes; outside single quotes, $ and ` (expansion); outside any
// quotes, operators (; & | < > ( )), globs (* ? [ ]), and ~ # { } ! ^ or any
// other ASCII punctuation not in _@%+=:,./- ; control characters anywhere.
// A backslash outside quotes escapes the next character. The caller writes
// the params text as given, so a quoted word stays quoted in the cron line.
// Errors match ErrShell.
func SplitParams(s string) ([]string, error) {
	if !utf8.ValidString(s) {
		return nil, shellErr("%q is not valid UTF-8", s)
	}
	toks, err := lex(s, true)
	if err != nil {
		return nil, err
	}
	var words []string
	for _, t := range toks {
		words = append(words, t.text)
	}
	return words, nil
}

func lex(s string, strict bool) ([]token, error) {
	l := &lexer{s: s, strict: strict}
	for l.i < len(l.s) {
		if err := l.step(); err != nil {
			return nil, err
		}
	}
	l.endWord()
	return l.toks, nil
}

// step consumes one unquoted character, or one quoted or expanded run.
func (l *lexer) step() error {
	c := l.s[l.i]
	switch {
	case c == ' ' || c == '\t':
		l.endWord()
		l.i++
		return nil
	case c == '#' && !l.inWord:
		if l.strict {
			return l.refuse("# at the start of a word starts a comment")
		}
		l.i = len(l.s) // sh ignores the rest of the line
		return nil
	case c == '\'':
		return l.singleQuoted()
	case c == '"':
		return l.doubleQuoted()
	case c == '\\':
		return l.backslash()
	case c == '$' || c == '`':
		if l.strict {
			return l.refuse("%q would be expanded by cron's shell; put it in single quotes to pass it literally", string(c))
		}
		return l.expansion()
	case isOperatorByte(c):
		if l.strict {
			return l.refuse("%q is a shell operator; quote it", string(c))
		}
		l.operator()
		return nil
	}
	return l.plain()
}

// plain consumes one unquoted rune that is not special to the lexer.
func (l *lexer) plain() error {
	r, size := utf8.DecodeRuneInString(l.s[l.i:])
	if l.strict {
		if err := l.strictRune(r); err != nil {
			return err
		}
	}
	l.add(l.s[l.i : l.i+size])
	l.i += size
	return nil
}

// strictRune refuses an unquoted rune that sh would treat specially.
func (l *lexer) strictRune(r rune) error {
	switch {
	case unicode.IsControl(r):
		return l.refuse("control character %U", r)
	case r >= utf8.RuneSelf || safeByte(byte(r)):
		return nil
	case strings.ContainsRune("*?[]", r):
		return l.refuse("%q is a shell glob; quote it", string(r))
	}
	return l.refuse("%q is special to the shell; quote it", string(r))
}

func (l *lexer) refuse(format string, args ...any) error {
	return shellErr("%s (at byte %d of %q)", fmt.Sprintf(format, args...), l.i+1, l.s)
}

func (l *lexer) add(s string) {
	if !l.inWord {
		l.inWord, l.start = true, l.i
	}
	l.word.WriteString(s)
}

func (l *lexer) endWord() {
	if !l.inWord {
		return
	}
	l.toks = append(l.toks, token{text: l.word.String(), dynamic: l.dyn, start: l.start, end: l.i})
	l.word.Reset()
	l.inWord, l.dyn = false, false
}

func (l *lexer) singleQuoted() error {
	end := strings.IndexByte(l.s[l.i+1:], '\'')
	if end < 0 {
		return l.refuse("unbalanced single quote")
	}
	body := l.s[l.i+1 : l.i+1+end]
	if err := l.noControl(body); err != nil {
		return err
	}
	l.add(body)
	l.i += end + 2
	return nil
}

func (l *lexer) noControl(s string) error {
	for _, r := range s {
		if unicode.IsControl(r) && (l.strict || r == '\n') {
			return l.refuse("control character %U", r)
		}
	}
	return nil
}

// doubleQuoted follows POSIX: inside "...", a backslash escapes only
// $ ` " \ and newline; $ and ` still expand.
func (l *lexer) doubleQuoted() error {
	open := l.i
	l.add("")
	for l.i++; l.i < len(l.s); l.i++ {
		c := l.s[l.i]
		switch {
		case c == '"':
			l.i++
			return nil
		case c == '\\' && l.i+1 < len(l.s) && strings.IndexByte("$`\"\\", l.s[l.i+1]) >= 0:
			l.i++
			l.word.WriteByte(l.s[l.i])
		case c == '$' || c == '`':
			if l.strict {
				return l.refuse("%q inside double quotes would be expanded by cron's shell; use single quotes", string(c))
			}
			l.dyn = true
			l.word.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			if l.strict || c == '\n' {
				return l.refuse("control character %U", rune(c))
			}
			l.word.WriteByte(c)
		default:
			l.word.WriteByte(c)
		}
	}
	l.i = open
	return l.refuse("unbalanced double quote")
}

func (l *lexer) backslash() error {
	if l.i+1 >= len(l.s) {
		return l.refuse("backslash at the end")
	}
	r, size := utf8.DecodeRuneInString(l.s[l.i+1:])
	if unicode.IsControl(r) && l.strict {
		return l.refuse("control character %U", r)
	}
	l.add("")
	l.word.WriteString(l.s[l.i+1 : l.i+1+size])
	l.i += 1 + size
	return nil
}

// expansion keeps $name, ${...}, $(...) and `...` as written: the checker
// cannot know what they expand to on the host.
func (l *lexer) expansion() error {
	n := expansionLen(l.s[l.i:])
	if n < 0 {
		return l.refuse("unclosed %q", l.s[l.i:min(l.i+2, len(l.s))])
	}
	l.add(l.s[l.i : l.i+n])
	l.dyn = true
	l.i += n
	return nil
}

// expansionLen returns the length of the expansion at the start of s, or
// -1 when it is never closed. Nesting of $( ) is counted; quotes inside are
// not interpreted, which is enough to find where a word ends.
func expansionLen(s string) int {
	switch {
	case s[0] == '`':
		end := strings.IndexByte(s[1:], '`')
		if end < 0 {
			return -1
		}
		return end + 2
	case strings.HasPrefix(s, "${"):
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return -1
		}
		return end + 1
	case strings.HasPrefix(s, "$("):
		return parenLen(s)
	}
	n := 1
	for n < len(s) && (s[n] == '_' || unicode.IsLetter(rune(s[n])) || unicode.IsDigit(rune(s[n]))) {
		n++
	}
	return n
}

func parenLen(s string) int {
	depth := 0
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func isOperatorByte(c byte) bool { return strings.IndexByte(";&|<>()", c) >= 0 }

// operators, longest first so that "&&" wins over "&".
var operators = []string{"<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|", "&>", ";", "&", "|", "(", ")", "<", ">"}

func (l *lexer) operator() {
	l.endWord()
	for _, op := range operators {
		if strings.HasPrefix(l.s[l.i:], op) {
			l.toks = append(l.toks, token{text: op, op: true, start: l.i, end: l.i + len(op)})
			l.i += len(op)
			return
		}
	}
}

// Quote returns s as one sh word: unchanged when every byte is in
// [A-Za-z0-9_@%+=:,./-] or non-ASCII, otherwise in single quotes. It refuses
// (ErrShell) an empty word, control characters, invalid UTF-8, and $ ` \ ' "
// because a generated value containing them is almost always a value meant
// for expansion or a quoting mistake, and writing it literally would hide
// that.
func Quote(s string) (string, error) {
	if s == "" {
		return "", shellErr("empty word")
	}
	if !utf8.ValidString(s) {
		return "", shellErr("%q is not valid UTF-8", s)
	}
	needQuotes := s[0] == '~' || s[0] == '#'
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return "", shellErr("control character %U in %q", r, s)
		case strings.ContainsRune("$`\\'\"", r):
			return "", shellErr("%q contains %q, which is not allowed here", s, string(r))
		case r < utf8.RuneSelf && !safeByte(byte(r)):
			needQuotes = true
		}
	}
	if needQuotes {
		return "'" + s + "'", nil
	}
	return s, nil
}

// EscapePercent prepares the command part of a crontab line: cron turns an
// unescaped % into a newline (and everything after it into the command's
// stdin), so every % becomes \%. Crons differ on backslashes: Vixie cron 3.0
// (Debian's) also turns \\ into \, ISC cron and cronie do not. So a backslash
// directly before \ or % is refused (ErrShell): no single spelling means the
// same to every cron. Any other backslash passes through unchanged.
func EscapePercent(s string) (string, error) {
	if strings.Contains(s, "\\\\") {
		return "", shellErr("two backslashes in a row in %q: crons disagree on what they mean, even inside quotes", s)
	}
	if strings.Contains(s, "\\%") {
		return "", shellErr("backslash before %% in %q: write %% alone, the generator escapes it for cron", s)
	}
	return strings.ReplaceAll(s, "%", "\\%"), nil
}

// cronCommand applies cron's own processing to the command part of a line,
// as Vixie cron 3.0 (Debian's cron) does in do_command: the text up to the
// first unescaped % is the command, the rest is fed to its stdin; \% becomes
// % and \\ becomes \; other backslashes stay.
func cronCommand(s string) (cmd, stdin string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '%' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == '%':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}
