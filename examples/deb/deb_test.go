// Package deb holds the test of the packaging example: building the
// scripts2 package with dpkg-buildpackage installs the cron.d file that
// `switchman crontab generate` made from the scripts' METADATA.
package deb

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// buildTimeout bounds the whole build: apt-get install on a fresh
// machine, go build and dpkg-buildpackage together.
const buildTimeout = 10 * time.Minute

func TestDebBuildInstallsGeneratedCronD(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package: not in -short")
	}
	if _, err := exec.LookPath("dpkg-buildpackage"); err != nil && os.Getenv("CI") == "" {
		t.Skip("dpkg-buildpackage not installed (with CI set, make installs it)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make: %v", err)
	}
	build := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "deb", "BUILD="+build)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make deb: %v\n%s", err, out)
	}
	deb := filepath.Join(build, "scripts2_1.0_all.deb")

	listing := run(t, ctx, "dpkg-deb", "-c", deb)
	for _, want := range []string{
		"-rw-r--r-- root/root", "./etc/cron.d/scripts2",
		"-rwxr-xr-x root/root", "./usr/lib/scripts2/shard.pl",
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("dpkg-deb -c lacks %q:\n%s", want, listing)
		}
	}
	for _, script := range []string{"shard.pl", "report.sh", "cleanup"} {
		if !hasLine(listing, "-rwxr-xr-x", "./usr/lib/scripts2/"+script) {
			t.Errorf("%s is not installed executable:\n%s", script, listing)
		}
	}
	if !hasLine(listing, "-rw-r--r--", "./etc/cron.d/scripts2") {
		t.Errorf("/etc/cron.d/scripts2 is not installed 0644:\n%s", listing)
	}

	tar := exec.CommandContext(ctx, "sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -xO ./etc/cron.d/scripts2`, "sh", deb)
	got, err := tar.Output()
	if err != nil {
		t.Fatalf("extract /etc/cron.d/scripts2: %v", err)
	}
	golden(t, filepath.Join("testdata", "scripts2.cron.d.golden"), got)
	if !bytes.Contains(out, got) {
		t.Errorf("make deb did not show the cron.d file")
	}
}

// hasLine reports whether one line of a dpkg-deb -c listing has both the
// mode and the path.
func hasLine(listing, mode, path string) bool {
	for _, l := range strings.Split(listing, "\n") {
		if strings.HasPrefix(l, mode) && strings.HasSuffix(l, " "+path) {
			return true
		}
	}
	return false
}

func run(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run with -update to accept):\n--- want\n%s--- got\n%s", path, want, got)
	}
}
