package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acme/switchman/fleet"
)

// history runs `switchman history LOCK -o json` and decodes it.
func (e *env) history(name string) []fleet.PastRun {
	e.t.Helper()
	r := e.run("history", name, "-o", "json")
	if r.code != 0 {
		e.t.Fatalf("history: exit %d %s", r.code, r.stderr)
	}
	var runs []fleet.PastRun
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		e.t.Fatalf("history json: %v\n%s", err, r.stdout)
	}
	return runs
}

// TestHistoryBounds runs a job N+10 times, one run failing with output
// longer than failure_output and made of multi-byte characters: the
// history keeps the last N runs, newest last, and the failure's output is
// its last bytes cut on a rune boundary.
func TestHistoryBounds(t *testing.T) {
	const n, keep = 4, 24
	e := newEnv(t, sharedZK(t), `{"groups":{}}`, fmt.Sprintf("history_runs: %d\nfailure_output: %d", n, keep))
	for i := range n + 9 {
		if r := e.run(append([]string{"--lockname", "hist"}, sh(fmt.Sprintf("echo run %d", i))...)...); r.code != 0 {
			t.Fatalf("run %d: exit %d %s", i, r.code, r.stderr)
		}
	}
	// The last run fails after printing "€" (three bytes) many times and a
	// marker, on one stream (the order across stdout and stderr is the
	// scheduler's): the 24-byte tail starts inside a "€" unless cut on a
	// rune boundary.
	fail := e.run(append([]string{"--lockname", "hist"}, sh(`exec >&2; printf 'start'; i=0; while [ $i -lt 40 ]; do printf '€'; i=$((i+1)); done; echo ' END'; exit 3`)...)...)
	if fail.code != 3 {
		t.Fatalf("failing run: exit %d %s", fail.code, fail.stderr)
	}
	runs := e.history("hist")
	if len(runs) != n {
		t.Fatalf("history kept %d runs after %d, want %d: %+v", len(runs), n+10, n, runs)
	}
	for i, r := range runs[:n-1] {
		if r.Result != "success" || r.Output != "" || r.Host == "" || r.Start.IsZero() || r.Token == 0 {
			t.Errorf("run %d: %+v", i, r)
		}
		if i > 0 && !runs[i-1].Start.Before(r.Start) {
			t.Errorf("runs out of order at %d", i)
		}
	}
	last := runs[n-1]
	if last.Result != "failure" || last.ExitCode != 3 || !last.OutputCut {
		t.Fatalf("failing run: %+v", last)
	}
	if !utf8.ValidString(last.Output) || !strings.HasSuffix(last.Output, "€ END\n") || len(last.Output) > keep || len(last.Output) < keep-2 {
		t.Fatalf("failure output %q (%d bytes): want the last <= %d bytes, cut on a rune boundary", last.Output, len(last.Output), keep)
	}
	// --output prints it under the failing run, marked as cut.
	r := e.run("history", "hist", "--output")
	if r.code != 0 || !strings.Contains(r.stdout, "    [...]\n    | €") || !strings.Contains(r.stdout, "€ END") ||
		strings.Count(r.stdout, "success") != n-1 {
		t.Fatalf("history --output: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestOutputPassedThrough: with the tail kept (the default) and without,
// what the job writes reaches switchman's stdout and stderr byte for byte,
// whether it succeeds or fails.
func TestOutputPassedThrough(t *testing.T) {
	e := newEnv(t, sharedZK(t), `{"groups":{}}`)
	off := e.withConfig("off.yaml", "failure_output: 0")
	// Binary bytes, invalid UTF-8, no final newline, and more than a pipe
	// buffer on stdout, interleaved with stderr.
	var out, errOut strings.Builder
	var script strings.Builder
	for i := range 300 {
		line := fmt.Sprintf("line %d \xff\xfe é %s", i, strings.Repeat("x", i%97))
		out.WriteString(line + "\n")
		errOut.WriteString(fmt.Sprintf("err %d\n", i))
		fmt.Fprintf(&script, "printf '%%s\\n' '%s'; echo 'err %d' >&2\n", line, i)
	}
	out.WriteString("tail-no-newline")
	script.WriteString("printf 'tail-no-newline'\n")
	path := filepath.Join(e.dir, "job.sh")
	for _, code := range []int{0, 5} {
		if err := os.WriteFile(path, []byte(script.String()+fmt.Sprintf("exit %d\n", code)), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*env{"tail kept": e, "tail off": off} {
			r := c.run("--lockname", "bytes", "--", "/bin/sh", path)
			if r.code != code {
				t.Fatalf("%s, exit %d: got exit %d %s", name, code, r.code, r.stderr)
			}
			if r.stdout != out.String() {
				t.Errorf("%s, exit %d: stdout differs (%d bytes, want %d)", name, code, len(r.stdout), out.Len())
			}
			if r.stderr != errOut.String() {
				t.Errorf("%s, exit %d: stderr differs (%d bytes, want %d)", name, code, len(r.stderr), errOut.Len())
			}
		}
	}
	// Two successes, then two failures of which only the one with the
	// tail kept has output: the end of both streams (which stream wrote
	// last depends on the scheduler). Invalid UTF-8 is stored as U+FFFD.
	runs := e.history("bytes")
	if len(runs) != 4 || runs[0].Output != "" || runs[1].Output != "" || (runs[2].Output == "") == (runs[3].Output == "") {
		t.Fatalf("history: %+v", runs)
	}
	kept := runs[2].Output + runs[3].Output
	if !strings.HasSuffix(kept, "tail-no-newline") && !strings.HasSuffix(kept, "err 299\n") || !strings.Contains(kept, "line 29") {
		t.Fatalf("kept output does not end like the job's: %q", kept)
	}
}
