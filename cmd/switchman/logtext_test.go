package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/zktest"
)

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
