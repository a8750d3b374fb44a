package lease

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Limits on expressions. They keep a hostile or mistyped spec from costing
// more than microseconds: the longest expression bounds the size of every
// number the exact arithmetic can build, the nesting limit bounds the
// parser's recursion.
const (
	// MaxExprLen is the longest expression accepted, in bytes.
	MaxExprLen = 200
	// MaxNesting is the deepest nesting of parentheses, int() and unary
	// signs accepted.
	MaxNesting = 32
)

// allowed is the reminder every syntax error ends with.
const allowed = "allowed: numbers, CPU, MEMMB, + - * / ( ) and int()"

// Macros are the values the macro names stand for on this host.
type Macros struct {
	// CPU is the number of online processors; 0 means unknown, and an
	// expression using CPU then fails.
	CPU int64
	// MemMB is the physical memory in MiB (MemTotal / 1024, as the
	// original computed it); 0 means unknown.
	MemMB int64
	// FQDN is this host's identity, as used in group data (after
	// --hostname). It is a name: usable in RESOURCE, not in COUNT or TOTAL.
	FQDN string
}

// Expr is a parsed integer expression. The zero value is not usable; get
// one from ParseExpr.
type Expr struct {
	src    string
	root   node
	macros bool
}

// ParseExpr parses an expression of decimal numbers, the macros CPU and
// MEMMB, + - * / (with the usual precedence), unary signs, parentheses
// and int(). Anything else is an error naming the offending token and its
// column.
func ParseExpr(src string) (*Expr, error) {
	if len(src) > MaxExprLen {
		return nil, fmt.Errorf("longer than %d characters", MaxExprLen)
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %s at column %d (%s)", t, t.col, allowed)
	}
	return &Expr{src: src, root: root, macros: p.macros}, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

// UsesMacros reports whether the expression names CPU or MEMMB, so that its
// value depends on the host.
func (e *Expr) UsesMacros() bool { return e.macros }

// Value evaluates the expression exactly with the macro values m.
// Division is exact; int() truncates toward zero. It fails on division by
// zero and on a macro whose value is unknown.
func (e *Expr) Value(m Macros) (*big.Rat, error) {
	return e.root.eval(&m)
}

// Eval evaluates the expression and returns it as a whole number. A
// fraction is an error that suggests int(), as is a value outside int64.
func (e *Expr) Eval(m Macros) (int64, error) {
	v, err := e.Value(m)
	if err != nil {
		return 0, err
	}
	if !v.IsInt() {
		return 0, fmt.Errorf("value %s is not a whole number (truncate it with int())", ratString(v))
	}
	n := v.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("value %s is out of range", abbrevNumber(n.String()))
	}
	return n.Int64(), nil
}

// ratString shows a fraction the way a person reads it: 15.625 rather
// than 125/8; a repeating decimal is cut after six places.
func ratString(v *big.Rat) string {
	s := v.FloatString(6)
	r, ok := new(big.Rat).SetString(s)
	exact := ok && r.Cmp(v) == 0
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if !exact {
		s += "..."
	}
	return abbrevNumber(s)
}

func abbrevNumber(s string) string {
	if len(s) > 30 {
		return s[:27] + "..."
	}
	return s
}

// Tokens.

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tIdent
	tOp     // + - * /
	tLParen // (
	tRParen // )
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based byte column in the expression
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return fmt.Sprintf("%q", t.text)
}

// tokenize splits src into tokens. Numbers are decimal, without a leading
// zero (the original handed "010" to Perl, which read it as octal 8: an
// ambiguity better refused), and may have a fraction ("0.5"). A number
// must not run into a name: "2CPU" was the original's textual 28 on an
// 8-core host, here it is an error.
func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case isDigit(c):
			t, err := scanNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		case isLetter(c):
			j := i + 1
			for j < len(src) && (isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], col: i + 1})
			i = j
		case c == '+' || c == '-' || c == '*' || c == '/':
			toks = append(toks, token{kind: tOp, text: src[i : i+1], col: i + 1})
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, text: "(", col: i + 1})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, text: ")", col: i + 1})
			i++
		default:
			return nil, fmt.Errorf("unexpected character %s at column %d (%s)", quoteRuneAt(src, i), i+1, allowed)
		}
	}
	return append(toks, token{kind: tEOF, col: len(src) + 1}), nil
}

func scanNumber(src string, i int) (token, error) {
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if src[i] == '0' && j-i > 1 {
		return token{}, fmt.Errorf("number %q at column %d has a leading zero", src[i:j], i+1)
	}
	if j < len(src) && src[j] == '.' {
		k := j + 1
		for k < len(src) && isDigit(src[k]) {
			k++
		}
		if k == j+1 {
			return token{}, fmt.Errorf("number %q at column %d has no digits after the point", src[i:k], i+1)
		}
		j = k
	}
	if j < len(src) && (isLetter(src[j]) || src[j] == '.') {
		k := j
		for k < len(src) && (isLetter(src[k]) || isDigit(src[k]) || src[k] == '.') {
			k++
		}
		return token{}, fmt.Errorf("unexpected %q at column %d: an operator must separate a number from what follows (%s)", src[i:k], i+1, allowed)
	}
	return token{kind: tNum, text: src[i:j], col: i + 1}, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// quoteRuneAt quotes the character starting at byte i, whole even when it
// is multi-byte.
func quoteRuneAt(s string, i int) string {
	for _, r := range s[i:] {
		return fmt.Sprintf("%q", r)
	}
	return `""`
}

// Parser: recursive descent over
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = ("+" | "-") unary | primary
//	primary = NUMBER | "CPU" | "MEMMB" | "int" "(" expr ")" | "(" expr ")"

type parser struct {
	toks   []token
	pos    int
	depth  int
	macros bool
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

// nested parses with parse one level deeper, at most MaxNesting levels;
// at is where the level opens.
func (p *parser) nested(at token, parse func() (node, error)) (node, error) {
	if p.depth >= MaxNesting {
		return nil, fmt.Errorf("nested deeper than %d levels at column %d", MaxNesting, at.col)
	}
	p.depth++
	x, err := parse()
	p.depth--
	return x, err
}

func (p *parser) expr() (node, error) { return p.leftAssoc("+-", p.term) }

func (p *parser) term() (node, error) { return p.leftAssoc("*/", p.unary) }

// leftAssoc parses operands joined by the operators in ops (one byte
// each), grouping to the left: a-b-c is (a-b)-c.
func (p *parser) leftAssoc(ops string, operand func() (node, error)) (node, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && strings.Contains(ops, t.text); t = p.peek() {
		p.next()
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = &binary{op: t.text[0], l: left, r: right, col: t.col}
	}
	return left, nil
}

func (p *parser) unary() (node, error) {
	t := p.peek()
	if t.kind != tOp || (t.text != "+" && t.text != "-") {
		return p.primary()
	}
	p.next()
	x, err := p.nested(t, p.unary)
	if err != nil {
		return nil, err
	}
	if t.text == "+" {
		return x, nil
	}
	return &negate{x: x}, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		v, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return nil, fmt.Errorf("bad number %q at column %d", t.text, t.col)
		}
		return &number{v: v}, nil
	case tIdent:
		return p.ident(t)
	case tLParen:
		return p.group(t)
	case tEOF:
		return nil, fmt.Errorf("expression ends early, a number or CPU/MEMMB is missing (%s)", allowed)
	}
	return nil, fmt.Errorf("unexpected %s at column %d (%s)", t, t.col, allowed)
}

func (p *parser) ident(t token) (node, error) {
	switch t.text {
	case "CPU", "MEMMB":
		p.macros = true
		return &macro{name: t.text}, nil
	case "int":
		open := p.next()
		if open.kind != tLParen {
			return nil, fmt.Errorf("int at column %d must be followed by \"(\"", t.col)
		}
		x, err := p.group(open)
		if err != nil {
			return nil, err
		}
		return &truncate{x: x}, nil
	case "FQDN":
		return nil, fmt.Errorf("FQDN at column %d is a host name, not a number: use it in RESOURCE only", t.col)
	}
	return nil, fmt.Errorf("unknown name %q at column %d (%s)", t.text, t.col, allowed)
}

// group parses what follows an opening parenthesis, up to and including
// the closing one.
func (p *parser) group(open token) (node, error) {
	x, err := p.nested(open, p.expr)
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tRParen {
		return nil, fmt.Errorf("unexpected %s at column %d: \"(\" at column %d is not closed", t, t.col, open.col)
	}
	return x, nil
}

// Evaluation tree.

type node interface {
	eval(m *Macros) (*big.Rat, error)
}

type number struct{ v *big.Rat }

func (n *number) eval(*Macros) (*big.Rat, error) { return new(big.Rat).Set(n.v), nil }

type macro struct{ name string }

func (n *macro) eval(m *Macros) (*big.Rat, error) {
	v := m.CPU
	if n.name == "MEMMB" {
		v = m.MemMB
	}
	if v <= 0 {
		return nil, fmt.Errorf("%s is unknown on this host", n.name)
	}
	return new(big.Rat).SetInt64(v), nil
}

type negate struct{ x node }

func (n *negate) eval(m *Macros) (*big.Rat, error) {
	v, err := n.x.eval(m)
	if err != nil {
		return nil, err
	}
	return v.Neg(v), nil
}

type truncate struct{ x node }

func (n *truncate) eval(m *Macros) (*big.Rat, error) {
	v, err := n.x.eval(m)
	if err != nil {
		return nil, err
	}
	// big.Int.Quo truncates toward zero, as Perl's int() does.
	q := new(big.Int).Quo(v.Num(), v.Denom())
	return new(big.Rat).SetInt(q), nil
}

type binary struct {
	op   byte
	l, r node
	col  int
}

var errDivZero = errors.New("division by zero")

func (n *binary) eval(m *Macros) (*big.Rat, error) {
	l, err := n.l.eval(m)
	if err != nil {
		return nil, err
	}
	r, err := n.r.eval(m)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case '+':
		return l.Add(l, r), nil
	case '-':
		return l.Sub(l, r), nil
	case '*':
		return l.Mul(l, r), nil
	}
	if r.Sign() == 0 {
		return nil, fmt.Errorf("%w at column %d", errDivZero, n.col)
	}
	return l.Quo(l, r), nil
}
