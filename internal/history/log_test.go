package history

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ns is a time at n nanoseconds after the epoch, for compact test data.
func ns(n int64) time.Time { return time.Unix(0, n) }

func TestParseLog(t *testing.T) {
	tests := []struct {
		name string
		log  string
		want []Run
	}{
		{
			name: "start and end paired, extras merged",
			log: "# comment\n\n" +
				"l h 10 100 - token=7 a=1\n" +
				"l h 10 100 200 token=7 exit=normal\n",
			want: []Run{{Lock: "l", Host: "h", PID: 10, Start: ns(100), End: ns(200), Ended: true,
				Extra: map[string]string{"token": "7", "a": "1", "exit": "normal"}}},
		},
		{
			name: "start without end is unended",
			log:  "l h 10 100 -\n",
			want: []Run{{Lock: "l", Host: "h", PID: 10, Start: ns(100), Extra: map[string]string{}}},
		},
		{
			name: "end without start is a complete run",
			log:  "l h 10 100 150\n",
			want: []Run{{Lock: "l", Host: "h", PID: 10, Start: ns(100), End: ns(150), Ended: true, Extra: map[string]string{}}},
		},
		{
			name: "end line before start line still pairs",
			log:  "l h 10 100 150 x=2\nl h 10 100 - x=1\n",
			want: []Run{{Lock: "l", Host: "h", PID: 10, Start: ns(100), End: ns(150), Ended: true, Extra: map[string]string{"x": "2"}}},
		},
		{
			name: "reused pid with another start is another run",
			log:  "l h 10 300 400\nl h 10 100 200\n",
			want: []Run{
				{Lock: "l", Host: "h", PID: 10, Start: ns(100), End: ns(200), Ended: true, Extra: map[string]string{}},
				{Lock: "l", Host: "h", PID: 10, Start: ns(300), End: ns(400), Ended: true, Extra: map[string]string{}},
			},
		},
		{
			name: "escapes decoded, tabs and runs of blanks accepted",
			log:  "a%20b\thost%3D1  5 100 100 k=%25x%20y empty=\n",
			want: []Run{{Lock: "a b", Host: "host=1", PID: 5, Start: ns(100), End: ns(100), Ended: true,
				Extra: map[string]string{"k": "%x y", "empty": ""}}},
		},
		{name: "empty log", log: "", want: []Run{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLog(strings.NewReader(tt.log))
			if err != nil {
				t.Fatalf("ParseLog: %v", err)
			}
			assertRuns(t, got, tt.want)
		})
	}
}

func assertRuns(t *testing.T, got, want []Run) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d runs %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if !sameRun(got[i], want[i]) {
			t.Errorf("run %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func sameRun(a, b Run) bool {
	if a.Lock != b.Lock || a.Host != b.Host || a.PID != b.PID || !a.Start.Equal(b.Start) ||
		!a.End.Equal(b.End) || a.Ended != b.Ended || len(a.Extra) != len(b.Extra) {
		return false
	}
	for k, v := range a.Extra {
		if w, ok := b.Extra[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestParseLogMalformed(t *testing.T) {
	tests := []struct {
		name, log, wantLine, wantMsg string
	}{
		{"too few fields", "l h 1 100\n", "log:1:", "got 4 fields"},
		{"pid not a number", "ok h 1 100 -\nl h x 100 -\n", "log:2:", `pid "x"`},
		{"pid zero", "l h 0 100 -\n", "log:1:", `pid "0"`},
		{"negative pid", "l h -3 100 -\n", "log:1:", `pid "-3"`},
		{"start not a number", "l h 1 soon -\n", "log:1:", `start "soon"`},
		{"start zero", "l h 1 0 -\n", "log:1:", `start "0"`},
		{"end not a number", "l h 1 100 later\n", "log:1:", `end "later"`},
		{"end before start", "l h 1 100 50\n", "log:1:", "end 50 is before start 100"},
		{"extra without equals", "l h 1 100 - token\n", "log:1:", `extra field "token"`},
		{"extra with bad key", "l h 1 100 - t/k=1\n", "log:1:", `extra field "t/k=1"`},
		{"extra empty key", "l h 1 100 - =1\n", "log:1:", `extra field "=1"`},
		{"duplicate extra key", "l h 1 100 - a=1 a=2\n", "log:1:", `extra key "a" appears twice`},
		{"bad escape in lock", "l%zz h 1 100 -\n", "log:1:", `lock "l%zz"`},
		{"bad escape in value", "l h 1 100 - a=%4\n", "log:1:", `value of a "%4"`},
		{"lock escapes to empty", "%00 h 1 100 -\n", "", ""}, // a NUL lock is odd but representable
		{"duplicate start", "l h 1 100 -\n\nl h 1 100 -\n", "log:3:", "second start line"},
		{"duplicate end", "l h 1 100 200\nl h 1 100 300\n", "log:2:", "second end line"},
		{"line too long", "l h 1 100 - a=" + strings.Repeat("x", maxLine) + "\n", "log:1:", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLog(strings.NewReader(tt.log))
			if tt.wantLine == "" {
				if err != nil {
					t.Fatalf("ParseLog: unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseLog accepted %q", tt.log)
			}
			var pe *ParseError
			if !errors.Is(err, ErrMalformed) || !errors.As(err, &pe) {
				t.Errorf("error %v is not a *ParseError wrapping ErrMalformed", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.wantLine) || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q, want prefix %q containing %q", msg, tt.wantLine, tt.wantMsg)
			}
		})
	}
}

func TestParseFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.log")
	if err := os.WriteFile(path, []byte("l h 1 100 -\nbroken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: malformed line") {
		t.Fatalf("ParseFile error %v, want it to start with %s:2:", err, path)
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("ParseFile of a missing file returned no error")
	}
}

func TestFormatRoundTrip(t *testing.T) {
	runs := []Run{
		{Lock: "nightly/report", Host: "host a", PID: 42, Start: ns(1_700_000_000_000_000_001),
			Extra: map[string]string{"token": "12", "leases": "db=1:4,cpu=2:8", "weird": "a=b %c\td"}},
		{Lock: NoLock, Host: "h", PID: 7, Start: ns(5), End: ns(9), Ended: true, Extra: map[string]string{}},
	}
	var b strings.Builder
	for _, r := range runs {
		line, err := Format(r)
		if err != nil {
			t.Fatalf("Format(%v): %v", r, err)
		}
		if strings.ContainsAny(line, "\n\t") || strings.Count(line, " ") != 4+len(r.Extra) {
			t.Errorf("Format(%v) = %q: want single-space separated fields, no tab or newline", r, line)
		}
		b.WriteString(line + "\n")
	}
	got, err := ParseLog(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("ParseLog(%q): %v", b.String(), err)
	}
	assertRuns(t, got, []Run{runs[1], runs[0]})
}

func TestFormatRejects(t *testing.T) {
	good := Run{Lock: "l", Host: "h", PID: 1, Start: ns(1)}
	tests := []struct {
		name string
		edit func(*Run)
		want string
	}{
		{"empty lock", func(r *Run) { r.Lock = "" }, "empty lock"},
		{"empty host", func(r *Run) { r.Host = "" }, "empty host"},
		{"zero pid", func(r *Run) { r.PID = 0 }, "pid 0"},
		{"zero start", func(r *Run) { r.Start = time.Time{} }, "start"},
		{"end before start", func(r *Run) { r.Start, r.End, r.Ended = ns(5), ns(4), true }, "before start"},
		{"bad key", func(r *Run) { r.Extra = map[string]string{"a b": "1"} }, `key "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			_, err := Format(r)
			if !errors.Is(err, ErrInvalidRun) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Format error %v, want ErrInvalidRun mentioning %q", err, tt.want)
			}
		})
	}
}

// TestAppendConcurrent checks that lines appended by many writers at once
// arrive whole.
func TestAppendConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	const writers, each = 8, 50
	pad := strings.Repeat("p", 3000) // longer than one small buffer, so splitting would show
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				line, _ := Format(Run{Lock: "l", Host: "h", PID: w + 1, Start: ns(int64(i + 1)), Extra: map[string]string{"pad": pad}})
				if err := Append(path, line); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	runs, err := ParseFile(path)
	if err != nil {
		t.Fatalf("interleaved lines: %v", err)
	}
	if len(runs) != writers*each {
		t.Fatalf("got %d runs, want %d", len(runs), writers*each)
	}
	if err := Append(filepath.Join(path, "not-a-dir"), "x"); err == nil {
		t.Error("Append below a regular file returned no error")
	}
}

func TestCloseUnended(t *testing.T) {
	runs := []Run{
		{Lock: "l", Host: "h", PID: 1, Start: ns(100)},
		{Lock: "l", Host: "h", PID: 2, Start: ns(100), End: ns(150), Ended: true},
		{Lock: "l", Host: "h", PID: 3, Start: ns(500)},
	}
	got := CloseUnended(runs, func(r Run) time.Time { return ns(int64(r.PID) * 200) })
	wantEnds := []time.Time{ns(200), ns(150), ns(600)}
	for i, r := range got {
		if !r.End.Equal(wantEnds[i]) {
			t.Errorf("run %d End = %v, want %v", i, r.End.UnixNano(), wantEnds[i].UnixNano())
		}
		if r.Ended != runs[i].Ended {
			t.Errorf("run %d Ended changed to %v", i, r.Ended)
		}
	}
	if !runs[0].End.IsZero() {
		t.Error("CloseUnended modified its input")
	}
	clamped := CloseUnended(runs[:1], func(Run) time.Time { return ns(1) })
	if !clamped[0].End.Equal(ns(100)) {
		t.Errorf("end before start not clamped to start: %v", clamped[0].End.UnixNano())
	}
}
