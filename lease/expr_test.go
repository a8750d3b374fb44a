package lease

import (
	"strings"
	"testing"
)

var testMacros = Macros{CPU: 8, MemMB: 16000, FQDN: "h1.example.com"}

func TestEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		want int64
	}{
		{"number", "4", 4},
		{"zero", "0", 0},
		{"spaces", " 1 +\t2 ", 3},
		{"precedence", "1+2*3", 7},
		{"left associative minus", "10-4-3", 3},
		{"left associative divide", "64/4/2", 8},
		{"parentheses", "(1+2)*3", 9},
		{"unary minus", "-3+5", 2},
		{"double unary", "--3", 3},
		{"unary plus", "+3", 3},
		{"cpu", "CPU", 8},
		{"cpu minus one", "CPU-1", 7},
		{"memory in GB", "int(MEMMB/1024)", 15},
		{"exact division before int", "int(MEMMB/1024*2)", 31},
		{"fraction that adds up", "1/3+2/3", 1},
		{"decimal", "0.5*CPU", 4},
		{"int truncates toward zero", "int(-7/2)", -3},
		{"int of whole", "int(6)", 6},
		{"nested", "int((CPU+1)/2)*(2-1)", 4},
		{"large but exact", "1000000000000/1000", 1000000000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := ParseExpr(tt.expr)
			if err != nil {
				t.Fatalf("ParseExpr(%q): %v", tt.expr, err)
			}
			got, err := e.Eval(testMacros)
			if err != nil || got != tt.want {
				t.Fatalf("Eval(%q) = %d, %v; want %d", tt.expr, got, err, tt.want)
			}
		})
	}
}

// TestExprRejects covers everything but the allowed tokens: each error is
// one line that names what is wrong.
func TestExprRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, want string
	}{
		{"perl code", "system('rm -rf /')", `unexpected character '\'' at column 8`},
		{"function call", "system(1)", `unknown name "system" at column 1`},
		{"backticks", "`id`", "unexpected character '`' at column 1"},
		{"variable", "$x", "unexpected character '$'"},
		{"semicolon", "1;2", "unexpected character ';' at column 2"},
		{"power", "2**3", `unexpected "*" at column 3`},
		{"modulo", "7%2", "unexpected character '%'"},
		{"shift", "1<<3", "unexpected character '<'"},
		{"lowercase macro", "cpu", `unknown name "cpu"`},
		{"fqdn", "FQDN", "FQDN at column 1 is a host name"},
		{"glued number and macro", "2CPU", `unexpected "2CPU" at column 1`},
		{"hex", "0x10", `unexpected "0x10"`},
		{"exponent", "1e3", `unexpected "1e3"`},
		{"octal-looking", "010", `number "010" at column 1 has a leading zero`},
		{"trailing point", "1.", "no digits after the point"},
		{"two points", "1.2.3", `unexpected "1.2.3"`},
		{"unclosed", "(1+2", `unexpected end of expression at column 5: "(" at column 1 is not closed`},
		{"extra close", "1+2)", `unexpected ")" at column 4`},
		{"empty parens", "()", `unexpected ")" at column 2`},
		{"dangling operator", "1+", "expression ends early"},
		{"empty", "", "expression ends early"},
		{"int without parens", "int 3", `int at column 1 must be followed by "("`},
		{"function", "abs(-1)", `unknown name "abs"`},
		{"unicode", "1+\u00b2", "unexpected character '²' at column 3"},
		{"newline", "1\n+2", `unexpected character '\n'`},
		{"too long", strings.Repeat("1+", 100) + "1", "longer than 200 characters"},
		{"too deep", strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40), "nested deeper than 32 levels"},
		{"too many signs", strings.Repeat("-", 40) + "1", "nested deeper than 32 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseExpr(tt.expr)
			if err == nil {
				t.Fatalf("ParseExpr(%q) accepted it", tt.expr)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Fatalf("ParseExpr(%q) = %q; want one line containing %q", tt.expr, msg, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr string
		m          Macros
		want       string
	}{
		{"fraction", "MEMMB/1024", testMacros, "value 15.625 is not a whole number (truncate it with int())"},
		{"repeating fraction", "2/3", testMacros, "value 0.666667... is not a whole number"},
		{"division by zero", "1/(CPU-8)", testMacros, "division by zero at column 2"},
		{"unknown cpu", "CPU", Macros{MemMB: 1}, "CPU is unknown on this host"},
		{"unknown memory", "MEMMB", Macros{CPU: 1}, "MEMMB is unknown on this host"},
		{"out of range", "9999999999*9999999999*9999999999", testMacros, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := ParseExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Eval(tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Eval(%q) = %v; want %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestUsesMacros(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]bool{"1+2": false, "int(3/2)": false, "CPU": true, "int(MEMMB/2)": true} {
		e, err := ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.UsesMacros(); got != want {
			t.Errorf("UsesMacros(%q) = %v, want %v", expr, got, want)
		}
	}
}
