package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/zktest"
)

// jobLog reads the history node of job lock: its runs, and the notices
// claimed outside a finish.
func (e *env) jobLog(lock string) ([]fleet.PastRun, []fleet.Notice) {
	e.t.Helper()
	b, _, err := e.admin.Get(e.prefix + "/runs/" + lock)
	if err != nil {
		e.t.Fatal(err)
	}
	var log struct {
		Runs    []fleet.PastRun
		Notices []fleet.Notice
	}
	if err := json.Unmarshal(b, &log); err != nil {
		e.t.Fatal(err)
	}
	return log.Runs, log.Notices
}

// jobHistory reads the runs of job lock's history.
func (e *env) jobHistory(lock string) []fleet.PastRun {
	e.t.Helper()
	runs, _ := e.jobLog(lock)
	return runs
}

// logLines returns the lines of the test's log file that contain msg,
// decoded.
func (e *env) logLines(msg string) []map[string]any {
	e.t.Helper()
	b, _ := os.ReadFile(filepath.Join(e.dir, "switchman.log"))
	var out []map[string]any
	for line := range strings.SplitSeq(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// waitLog waits until the test's log file has a line with message msg,
// bounded.
func (e *env) waitLog(msg string, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for len(e.logLines(msg)) == 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("no %q in the log within %s", msg, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flaky is a job that fails (exit 3) until its count file in dir has n
// lines, then succeeds: each attempt appends one.
func flaky(dir string, n int) []string {
	count := filepath.Join(dir, "count")
	return sh(`echo x >> ` + count + `; test $(wc -l < ` + count + `) -ge ` + string(rune('0'+n)) + ` || exit 3`)
}

// TestRetryFailsTwiceThenSucceeds: with --retry 3 --retry-backoff 100ms a
// job that fails twice runs three times under one lock, each attempt in
// the history with its number, the backoff's bound doubling (100 ms, then
// 200 ms) and each wait within it; the run exits 0, and no event fires:
// the failures were retried, so the success recovers from nothing.
func TestRetryFailsTwiceThenSucceeds(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	cmd, events := notifyLog(e.dir)
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.Extra = append(c.Extra, "notify: ['"+cmd+"']") })
	r := e.run(append([]string{"--lockname", "flaky", "--retry", "3", "--retry-backoff", "100ms"}, flaky(e.dir, 3)...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q, want 0 and nothing", r.code, r.stderr)
	}
	runs := e.jobHistory("flaky")
	if len(runs) != 3 {
		t.Fatalf("history has %d runs, want 3: %+v", len(runs), runs)
	}
	for i, run := range runs {
		last := i == len(runs)-1
		wantResult := map[bool]string{false: fleet.ResultFailure, true: fleet.ResultSuccess}[last]
		if run.Attempt != i+1 || run.Retried == last || run.Result != wantResult || run.Event != "" {
			t.Errorf("run %d: attempt %d retried %v result %q event %q", i, run.Attempt, run.Retried, run.Result, run.Event)
		}
	}
	retries := e.logLines("retrying after backoff")
	if len(retries) != 2 {
		t.Fatalf("%d retry lines in the log, want 2", len(retries))
	}
	for i, want := range []float64{100, 200} {
		ceiling, wait := retries[i]["backoff_ceiling_ms"].(float64), retries[i]["backoff_ms"].(float64)
		if ceiling != want || wait < 0 || wait > ceiling {
			t.Errorf("retry %d: backoff %v ms within %v ms, want within %v ms", i+1, wait, ceiling, want)
		}
		// The next attempt started no sooner than the wait after the
		// finish (the history keeps milliseconds).
		gap := runs[i+1].Start.Sub(runs[i].Finish)
		if gap < time.Duration(wait)*time.Millisecond-time.Millisecond || gap > 10*time.Second {
			t.Errorf("attempt %d started %s after attempt %d finished; the backoff was %v ms", i+2, gap, i+1, wait)
		}
	}
	if got := notifiedEvents(t, events); len(got) != 0 {
		t.Errorf("notified %q, want nothing", got)
	}
}

// TestRetryOn: --retry-on limits retries to its exit statuses; an attempt
// that fails otherwise is the last. Only the final outcome fires an event.
func TestRetryOn(t *testing.T) {
	srv := sharedZK(t)
	tests := []struct {
		name, on string
		runs     int
	}{
		{"status not listed", "75", 1},
		{"status listed", "1,3", 3},
		{"default: every failure", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, srv, `{}`)
			cmd, events := notifyLog(e.dir)
			e.setConfig(func(c *zktest.SwitchmanConfig) { c.Extra = append(c.Extra, "notify: ['"+cmd+"']") })
			args := []string{"--lockname", "j", "--retry", "2", "--retry-backoff", "10ms"}
			if tt.on != "" {
				args = append(args, "--retry-on", tt.on)
			}
			r := e.run(append(args, sh("echo boom; exit 3")...)...)
			if r.code != 3 {
				t.Fatalf("exit %d, want 3; stderr %q", r.code, r.stderr)
			}
			runs := e.jobHistory("j")
			if len(runs) != tt.runs {
				t.Fatalf("%d attempts, want %d: %+v", len(runs), tt.runs, runs)
			}
			last := runs[len(runs)-1]
			if last.Retried || last.Event != "failed" || last.Output != "boom\n" {
				t.Errorf("last attempt retried %v event %q output %q, want the failure's event and output", last.Retried, last.Event, last.Output)
			}
			if got := notifiedEvents(t, events); len(got) != 1 || !strings.HasPrefix(got[0], "failed@") {
				t.Errorf("notified %q, want one failed", got)
			}
		})
	}
}

// TestRetryStopsWhenGroupMoved: a group moved away from the host during
// the backoff gets no further attempt; the run ends at once, as quietly
// as a move while the command runs, and with the same status.
func TestRetryStopsWhenGroupMoved(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	count := filepath.Join(e.dir, "count")
	// A day's bound on the wait: the draw is below ten seconds once in
	// about ten thousand runs.
	c := e.start(append([]string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "j", "--retry", "3", "--retry-backoff", "24h"},
		sh("echo x >> "+count+"; exit 3")...)...)
	e.waitLog("retrying after backoff", 20*time.Second)
	moved := time.Now()
	if _, err := e.admin.Set(e.prefix, []byte(`{"groups":{"g":["h2.example.com"]}}`), -1); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 10*time.Second); code != exitcode.Lost {
		t.Errorf("exit %d, want %d (a permission ended)", code, exitcode.Lost)
	}
	if d := time.Since(moved); d > 5*time.Second {
		t.Errorf("the run ended %s after the move", d)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("the command ran %d times, want once", strings.Count(string(b), "x"))
	}
	if out := c.Stderr.(interface{ String() string }).String(); out != "" {
		t.Errorf("stderr %q, want nothing: a move is planned", out)
	}
	if len(e.logLines("permission ended during the retry backoff; no further attempt")) != 1 {
		t.Error("the log does not say why the retries ended")
	}
}

// TestRetryStopsAtTimeout: --timeout bounds the run, retries included:
// the attempts stop when it passes, and the run ends within it and the
// grace.
func TestRetryStopsAtTimeout(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	r := e.run("--lockname", "j", "--timeout", "6s", "--retry", "100", "--retry-backoff", "10ms", "--", "/bin/sh", "-c", "sleep 1; exit 3")
	if r.code != exitcode.Timeout && r.code != 3 {
		t.Errorf("exit %d, want %d (the last attempt stopped) or 3 (no time for another); stderr %q", r.code, exitcode.Timeout, r.stderr)
	}
	// 6 s, the one-second grace, and a loaded machine's slack.
	if r.took > 12*time.Second {
		t.Errorf("the run took %s with --timeout 6s", r.took)
	}
	runs := e.jobHistory("j")
	if len(runs) < 2 || len(runs) > 7 {
		t.Errorf("%d attempts of a one-second job within 6s", len(runs))
	}
	if last := runs[len(runs)-1]; last.Retried {
		t.Errorf("the last attempt is marked retried: %+v", last)
	}
}

// TestRetryStopSignalDuringBackoff: a stop signal during the backoff ends
// the run at once, with 128+N as a shell would report it and one line on
// stderr; no further attempt starts.
func TestRetryStopSignalDuringBackoff(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{}`)
	count := filepath.Join(e.dir, "count")
	c := e.start(append([]string{"--lockname", "j", "--retry", "3", "--retry-backoff", "24h"}, sh("echo x >> "+count+"; exit 3")...)...)
	e.waitLog("retrying after backoff", 20*time.Second)
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 10*time.Second); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d, want %d", code, 128+int(syscall.SIGTERM))
	}
	if out := c.Stderr.(interface{ String() string }).String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "during the retry backoff") {
		t.Errorf("stderr %q, want one line about the backoff", out)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "x") != 1 {
		t.Errorf("the command ran %d times, want once", strings.Count(string(b), "x"))
	}
}
