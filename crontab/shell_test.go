package crontab

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSplitParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "empty", in: "", want: nil},
		{name: "flags", in: "--mod 2 --rem 0", want: []string{"--mod", "2", "--rem", "0"}},
		{name: "extra blanks", in: "  -a   b ", want: []string{"-a", "b"}},
		{name: "single quotes keep everything", in: `--sql 'select * from t; -- $x'`, want: []string{"--sql", "select * from t; -- $x"}},
		{name: "double quotes", in: `--name "two words"`, want: []string{"--name", "two words"}},
		{name: "escaped quote in double quotes", in: `"a\"b"`, want: []string{`a"b`}},
		{name: "backslash escapes blank", in: `a\ b`, want: []string{"a b"}},
		{name: "adjacent quoted parts", in: `--x='a b'c`, want: []string{"--x=a bc"}},
		{name: "empty quoted word", in: `'' x`, want: []string{"", "x"}},
		{name: "percent is fine", in: "--fmt %Y-%m-%d", want: []string{"--fmt", "%Y-%m-%d"}},
		{name: "non-ascii", in: "--city Zürich", want: []string{"--city", "Zürich"}},
		{name: "unbalanced single", in: "--x 'abc", err: "unbalanced single quote"},
		{name: "unbalanced double", in: `--x "abc`, err: "unbalanced double quote"},
		{name: "dollar", in: "--home $HOME", err: `"$" would be expanded by cron's shell`},
		{name: "dollar in double quotes", in: `"$HOME"`, err: `"$" inside double quotes`},
		{name: "backtick", in: "--host `hostname`", err: "\"`\" would be expanded"},
		{name: "semicolon", in: "--a; rm -rf /", err: `";" is a shell operator`},
		{name: "pipe", in: "--a | mail", err: `"|" is a shell operator`},
		{name: "redirect", in: "--a >/tmp/x", err: `">" is a shell operator`},
		{name: "ampersand", in: "--a &", err: `"&" is a shell operator`},
		{name: "glob", in: "--files *.log", err: `"*" is a shell glob`},
		{name: "tilde", in: "--dir ~/x", err: `"~" is special to the shell`},
		{name: "comment", in: "--a #b", err: "# at the start of a word starts a comment"},
		{name: "tab", in: "--a\tb", err: ""},
		{name: "newline", in: "--a\nb", err: "control character U+000A"},
		{name: "control in quotes", in: "'a\x01'", err: "control character U+0001"},
		{name: "trailing backslash", in: `a\`, err: "backslash at the end"},
		{name: "invalid utf8", in: "a\xff", err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := SplitParams(tt.in)
			if tt.name == "tab" {
				// A tab separates words like a blank does.
				if err != nil || !reflect.DeepEqual(got, []string{"--a", "b"}) {
					t.Fatalf("SplitParams(%q) = %q, %v", tt.in, got, err)
				}
				return
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrShell) {
					t.Fatalf("SplitParams(%q) = %q, %v; want ErrShell containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("SplitParams(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, err string }{
		{in: "reports", want: "reports"},
		{in: "/usr/lib/pkg/run.sh", want: "/usr/lib/pkg/run.sh"},
		{in: "FQDN_mem=4:4096", want: "FQDN_mem=4:4096"},
		{in: "FQDN_mem=4:int(MEMMB/1024)", want: "'FQDN_mem=4:int(MEMMB/1024)'"},
		{in: "a b", want: "'a b'"},
		{in: "a;b", want: "'a;b'"},
		{in: "~x", want: "'~x'"},
		{in: "#x", want: "'#x'"},
		{in: "x*", want: "'x*'"},
		{in: "Zürich", want: "Zürich"},
		{in: "", err: "empty word"},
		{in: "$x", err: `contains "$"`},
		{in: "`x`", err: "contains \"`\""},
		{in: "it's", err: `contains "'"`},
		{in: `a\b`, err: `contains "\\"`},
		{in: "a\nb", err: "control character U+000A"},
		{in: "\xff", err: "not valid UTF-8"},
	}
	for _, tt := range tests {
		got, err := Quote(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrShell) {
				t.Errorf("Quote(%q) = %q, %v; want ErrShell containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Quote(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// What sh reads back must be the original value.
		words, err := SplitParams(got)
		if err != nil || len(words) != 1 || words[0] != tt.in {
			t.Errorf("SplitParams(Quote(%q)) = %q, %v", tt.in, words, err)
		}
	}
}

func TestEscapePercentRoundTripsThroughCron(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want, err string }{
		{in: "no percent", want: "no percent"},
		{in: "date +%Y-%m-%d", want: `date +\%Y-\%m-\%d`},
		{in: "'%'", want: `'\%'`},
		{in: `a\b %`, want: `a\b \%`},
		{in: `a\%`, err: "backslash before %"},
		{in: `a\\b`, err: "two backslashes in a row"},
	}
	for _, tt := range tests {
		got, err := EscapePercent(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("EscapePercent(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("EscapePercent(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// cron must hand sh exactly the text we meant, with no stdin.
		cmd, stdin := cronCommand(got)
		if cmd != tt.in || stdin != "" {
			t.Errorf("cronCommand(%q) = %q, %q; want %q, \"\"", got, cmd, stdin, tt.in)
		}
	}
}

func TestCronCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, cmd, stdin string }{
		{in: "mail -s hi root%body%more", cmd: "mail -s hi root", stdin: "body%more"},
		{in: `date +\%s`, cmd: "date +%s"},
		{in: `a\\%b`, cmd: `a\`, stdin: "b"},
		{in: `a\nb`, cmd: `a\nb`},
		{in: `trailing\`, cmd: `trailing\`},
	}
	for _, tt := range tests {
		cmd, stdin := cronCommand(tt.in)
		if cmd != tt.cmd || stdin != tt.stdin {
			t.Errorf("cronCommand(%q) = %q, %q; want %q, %q", tt.in, cmd, stdin, tt.cmd, tt.stdin)
		}
	}
}

func TestLexLenient(t *testing.T) {
	t.Parallel()
	toks, err := lex(`A=1 nice -n 5 /usr/bin/switchman --lockname $(hostname)-x -- job 'a b' 2>&1 >>/var/log/x; echo "$HOME" # c`, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		s := tk.text
		if tk.op {
			s = "<" + s + ">"
		}
		if tk.dynamic {
			s += "!"
		}
		got = append(got, s)
	}
	want := []string{"A=1", "nice", "-n", "5", "/usr/bin/switchman", "--lockname", "$(hostname)-x!", "--", "job", "a b",
		"2", "<>&>", "1", "<>>>", "/var/log/x", "<;>", "echo", "$HOME!"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lex = %q\nwant %q", got, want)
	}
	for _, bad := range []string{"echo 'x", "echo $(x", "echo `x", "echo ${x", `echo "x`} {
		if _, err := lex(bad, false); err == nil {
			t.Errorf("lex(%q) succeeded, want an error", bad)
		}
	}
}
