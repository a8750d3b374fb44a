package lease

import (
	"errors"
	"go/ast"
	"go/constant"
	goparser "go/parser"
	gotoken "go/token"
	"math/big"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/testenv"
)

// FuzzExpr checks the evaluator against an independent oracle: every
// expression the evaluator accepts is also a Go constant expression, which
// go/parser and go/constant evaluate exactly. Both must agree on the value,
// or both fail (division by zero). Seeds live in testdata/fuzz/FuzzExpr.
func FuzzExpr(f *testing.F) {
	seeds := []string{"1+2*3", "int(MEMMB/1024)", "CPU-1", "-(3-5)/4", "0.5*CPU", "system('x')"}
	testenv.FuzzParser(f, seeds, ParseExpr, nil, func(t *testing.T, src string, e *Expr) {
		got, gotErr := e.Value(testMacros)
		want, wantErr := oracle(spaced(t, src), testMacros)
		switch {
		case wantErr != nil && errors.Is(wantErr, errOracleSkip):
		case (gotErr != nil) != (wantErr != nil):
			t.Fatalf("%q: evaluator %v, %v; oracle %v, %v", src, got, gotErr, want, wantErr)
		case gotErr == nil && got.Cmp(want) != 0:
			t.Fatalf("%q: evaluator %s, oracle %s", src, got.RatString(), want.RatString())
		}
	})
}

// FuzzSpec checks that no spec crashes the parser, that every error is one
// line, and that a resolved lease is in range and reads back the same.
func FuzzSpec(f *testing.F) {
	seeds := []string{"db=1:3", "db=0:3", "cpu-FQDN=1:CPU", "mem=4:int(MEMMB/1024)", "db=1", "=:", "a=b=c:d"}
	resolve := func(raw string) ([]Lease, error) { return Resolve([]string{raw}, testMacros) }
	testenv.FuzzParser(f, seeds, resolve, ErrSpec, func(t *testing.T, raw string, ls []Lease) {
		l := ls[0]
		if l.Count < 1 || l.Count > l.Total || l.Total > MaxAmount {
			t.Fatalf("%q resolved out of range: %+v", raw, l)
		}
		again, err := Resolve([]string{l.String()}, Macros{})
		if err != nil || again[0].Resource != l.Resource || again[0].Count != l.Count || again[0].Total != l.Total {
			t.Fatalf("%q -> %s does not read back: %v %v", raw, l, again, err)
		}
	})
}

// spaced re-joins src's tokens with spaces, so that Go reads "--3" as two
// minus signs rather than a decrement.
func spaced(t *testing.T, src string) string {
	toks, err := tokenize(src)
	if err != nil {
		t.Fatalf("%q parsed but does not tokenize: %v", src, err)
	}
	parts := make([]string, 0, len(toks))
	for _, tok := range toks[:len(toks)-1] {
		parts = append(parts, tok.text)
	}
	return strings.Join(parts, " ")
}

var errOracleSkip = errors.New("oracle cannot decide")

// oracle evaluates src as a Go constant expression, with CPU and MEMMB
// bound to m and int(x) as truncation toward zero.
func oracle(src string, m Macros) (*big.Rat, error) {
	x, err := goparser.ParseExpr(src)
	if err != nil {
		return nil, err
	}
	v, err := oracleEval(x, m)
	if err != nil {
		return nil, err
	}
	r, ok := constant.Val(constant.ToFloat(v)).(*big.Rat)
	if !ok {
		// go/constant switches to an approximate big.Float for huge
		// values; the evaluator is exact there, the oracle is not.
		if f, isFloat := constant.Val(constant.ToFloat(v)).(*big.Float); isFloat {
			if f.IsInt() {
				i, _ := f.Int(nil)
				return new(big.Rat).SetInt(i), errOracleSkip
			}
			return nil, errOracleSkip
		}
		if i, isInt := constant.Val(v).(int64); isInt {
			return new(big.Rat).SetInt64(i), nil
		}
		if i, isInt := constant.Val(v).(*big.Int); isInt {
			return new(big.Rat).SetInt(i), nil
		}
		return nil, errOracleSkip
	}
	return r, nil
}

func oracleEval(x ast.Expr, m Macros) (constant.Value, error) {
	switch x := x.(type) {
	case *ast.BasicLit:
		return constant.MakeFromLiteral(x.Value, x.Kind, 0), nil
	case *ast.Ident:
		switch x.Name {
		case "CPU":
			return constant.MakeInt64(m.CPU), nil
		case "MEMMB":
			return constant.MakeInt64(m.MemMB), nil
		}
	case *ast.ParenExpr:
		return oracleEval(x.X, m)
	case *ast.UnaryExpr:
		v, err := oracleEval(x.X, m)
		if err != nil {
			return nil, err
		}
		return constant.UnaryOp(x.Op, v, 0), nil
	case *ast.BinaryExpr:
		return oracleBinary(x, m)
	case *ast.CallExpr:
		if fn, ok := x.Fun.(*ast.Ident); ok && fn.Name == "int" && len(x.Args) == 1 {
			v, err := oracleEval(x.Args[0], m)
			if err != nil {
				return nil, err
			}
			// Go's integer division truncates toward zero, like int().
			return constant.BinaryOp(constant.Num(v), gotoken.QUO_ASSIGN, constant.Denom(v)), nil
		}
	}
	return nil, errOracleSkip
}

func oracleBinary(x *ast.BinaryExpr, m Macros) (constant.Value, error) {
	l, err := oracleEval(x.X, m)
	if err != nil {
		return nil, err
	}
	r, err := oracleEval(x.Y, m)
	if err != nil {
		return nil, err
	}
	if x.Op == gotoken.QUO && constant.Sign(r) == 0 {
		return nil, errDivZero
	}
	if l.Kind() == constant.Unknown || r.Kind() == constant.Unknown {
		return nil, errOracleSkip
	}
	// QUO on two integers is exact rational division in go/constant.
	return constant.BinaryOp(l, x.Op, r), nil
}

// TestOracle makes sure the fuzz oracle decides, and agrees, on the table
// of TestEval: an oracle that always skipped would make FuzzExpr vacuous.
func TestOracle(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"1+2*3", "10-4-3", "64/4/2", "--3", "int(MEMMB/1024*2)", "1/3+2/3", "0.5*CPU", "int(-7/2)", "2/3"} {
		e, err := ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Value(testMacros)
		if err != nil {
			t.Fatal(err)
		}
		want, err := oracle(spaced(t, src), testMacros)
		if err != nil || want.Cmp(got) != 0 {
			t.Errorf("%q: oracle %v, %v; evaluator %v", src, want, err, got)
		}
	}
	if _, err := oracle(spaced(t, "1/(CPU-8)"), testMacros); !errors.Is(err, errDivZero) {
		t.Errorf("oracle on division by zero: %v", err)
	}
}
