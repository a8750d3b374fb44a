package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/internal/zktest"
)

// TestTextLog checks the original's log line format: local time, the pid
// in brackets and the message, tab-separated, then the fields.
func TestTextLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := zerolog.New(textLog{&buf}).With().Timestamp().Int("switchman_pid", 4242).Logger()
	l.Info().Str("lock", "job").Strs("command", []string{"a", "b c"}).Int("exit_code", 3).Str("cause", "host no longer in group").Msg("FINISH")
	l.Warn().Msg("lock lost")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\[4242\]\tFINISH cause="host no longer in group" command=\["a","b c"\] exit_code=3 lock=job$`),
		regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\[4242\]\tlock lost level=warn$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("lines %q", lines)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %q does not match %s", lines[i], re)
		}
	}
}

// TestTextLogConfig checks that log_format: text reaches the log file. It
// runs the built binary: a run inside the test process would start the
// test binary itself as its shim (/proc/self/exe).
func TestTextLogConfig(t *testing.T) {
	zktest.SkipShort(t)
	t.Parallel()
	dir := t.TempDir()
	cfg := zktest.WriteConfig(t, dir+"/c.yaml", zktest.SwitchmanConfig{Hosts: "127.0.0.1:1", Prefix: "/x", Logfile: dir + "/log",
		Extra: []string{"log_format: text"}})
	if out, err := exec.Command(binPath, "-c", cfg, "--no-lock", "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(dir + "/log")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\S+ \S+\t\[\d+\]\tSTART `).Match(b) || strings.Contains(string(b), "{") {
		t.Errorf("log file is not in the original's format:\n%s", b)
	}
}
