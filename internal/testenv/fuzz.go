package testenv

import (
	"errors"
	"strings"
	"testing"
)

// OneLine fails t unless err's message is one non-empty line: every
// parser's rejection names the input and the problem on one line (of
// stderr, of a Nagios status, of doctor's report).
func OneLine(t testing.TB, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error message %q is not one non-empty line", msg)
	}
}

// FuzzParser is the body of a parser's fuzz target: it adds seeds to the
// corpus, and for every input requires each error of parse to be one line
// (OneLine) that matches sentinel (unless sentinel is nil), and hands what
// parse accepted to check.
func FuzzParser[In string | []byte, Out any](f *testing.F, seeds []In, parse func(In) (Out, error), sentinel error,
	check func(t *testing.T, in In, out Out)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in In) {
		out, err := parse(in)
		if err == nil {
			check(t, in, out)
			return
		}
		OneLine(t, err)
		if sentinel != nil && !errors.Is(err, sentinel) {
			t.Fatalf("%q: error %v does not match %v", in, err, sentinel)
		}
	})
}
