package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debVersion is the version the package test builds: a release-like
// version that no real release uses.
const debTestVersion = "0.0.0+debtest"

// TestDebPackage builds the .deb with `make deb`, installs it with dpkg,
// runs the installed switchman and its man page, and runs lintian on it.
// It changes the machine (installs and then purges the package), so it runs
// only when CI is set, or when dpkg is present and we are root.
func TestDebPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs a package: not in -short")
	}
	_, dpkgErr := exec.LookPath("dpkg")
	switch {
	case os.Getenv("CI") == "" && dpkgErr != nil:
		t.Skip("dpkg not found")
	case os.Getenv("CI") == "" && os.Geteuid() != 0:
		t.Skip("dpkg -i needs root")
	case dpkgErr != nil:
		t.Fatal("CI is set but dpkg is missing")
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "switchman").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Skip("a switchman package is already installed here; not replacing it")
	}
	ensureTools(t, map[string]string{"lintian": "lintian", "man": "man-db"})
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(ctx, t, root, "make", "deb", "VERSION="+debTestVersion)
	deb := filepath.Join(root, "bin", "switchman_"+debTestVersion+"-1_"+debArch(t)+".deb")
	t.Cleanup(func() { os.Remove(deb) })
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "switchman").Run() })
	mustRun(ctx, t, root, "dpkg", "-i", deb)

	if out := mustRun(ctx, t, root, "/usr/bin/switchman", "--version"); out != "switchman "+debTestVersion+"\n" {
		t.Errorf("installed switchman --version = %q", out)
	}
	for page, want := range map[string]string{"switchman": "switchman-doctor(1)", "switchman-doctor": "clock offset"} {
		out := mustRun(ctx, t, root, "man", "-P", "cat", page)
		if !strings.Contains(out, "SWITCHMAN") || !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("man %s lacks %q:\n%s", page, want, out)
		}
	}
	conffiles := mustRun(ctx, t, root, "dpkg-query", "-W", "-f=${Conffiles}", "switchman")
	if !strings.Contains(conffiles, "/etc/switchman.yaml") {
		t.Errorf("/etc/switchman.yaml is not a conffile: %q", conffiles)
	}
	for _, p := range []string{"/usr/share/bash-completion/completions/switchman", "/usr/share/zsh/vendor-completions/_switchman",
		"/usr/share/fish/vendor_completions.d/switchman.fish", "/usr/share/doc/switchman/changelog.Debian.gz",
		"/usr/share/doc/switchman/copyright", "/usr/share/doc/switchman/README.md.gz",
		"/usr/lib/switchman/switchman-shim", "/usr/lib/switchman/switchman-metrics"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("package did not install %s: %v", p, err)
		}
	}
	// --fail-on error: warnings (no PIE relro with Go's internal linker)
	// are reported but do not fail; errors do.
	out := mustRun(ctx, t, root, "lintian", "--fail-on", "error", "--tag-display-limit", "0", deb)
	t.Logf("lintian:\n%s", out)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "E: ") {
			t.Errorf("lintian error: %s", l)
		}
	}
}

// ensureTools installs the Debian packages of missing commands.
func ensureTools(t *testing.T, cmds map[string]string) {
	t.Helper()
	var pkgs []string
	for cmd, pkg := range cmds {
		if _, err := exec.LookPath(cmd); err != nil {
			pkgs = append(pkgs, pkg)
		}
	}
	if len(pkgs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	install := append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)
	if err := exec.CommandContext(ctx, "apt-get", install...).Run(); err != nil {
		mustRun(ctx, t, "/", "apt-get", "update", "-q")
		mustRun(ctx, t, "/", "apt-get", install...)
	}
}

func mustRun(ctx context.Context, t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "MANPAGER=cat", "MANWIDTH=200")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func debArch(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
