package history

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseLog checks that ParseLog never panics, that every rejection is a
// *ParseError, and that what it accepts survives Format and a second parse
// unchanged. Seeds are in testdata/fuzz/FuzzParseLog.
func FuzzParseLog(f *testing.F) {
	f.Add("l h 1 100 - token=3\nl h 1 100 200 exit=normal\n")
	f.Fuzz(func(t *testing.T, log string) {
		runs, err := ParseLog(strings.NewReader(log))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Msg == "" {
				t.Fatalf("rejection %v is not a *ParseError with a line and message", err)
			}
			return
		}
		var b strings.Builder
		for _, r := range runs {
			line, err := Format(r)
			if err != nil {
				t.Fatalf("Format(%+v) of a parsed run: %v", r, err)
			}
			b.WriteString(line + "\n")
		}
		again, err := ParseLog(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if len(again) != len(runs) {
			t.Fatalf("reparse gave %d runs, want %d", len(again), len(runs))
		}
		for i := range runs {
			if !sameRun(runs[i], again[i]) {
				t.Fatalf("run %d changed on round trip:\n%+v\n%+v", i, runs[i], again[i])
			}
		}
		_ = Overlaps(runs)
		_ = WorstOverlap(runs)
	})
}
