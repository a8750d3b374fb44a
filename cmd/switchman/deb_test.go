package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
)

// The package tests never touch the machine's own dpkg database, /etc, /usr
// or installed binaries: they unpack the package (dpkg-deb -x), or install
// it into a throwaway root with a private dpkg database (dpkg --root, its
// maintainer scripts run outside a chroot with $DPKG_ROOT set, which they
// honour).

// debTestDescribe is the `git describe` the package test builds with: a
// snapshot that no real build has.
const (
	debTestDescribe = "v0.0.0-1-g0000000"
	debTestVersion  = "0.0.0+git1.g0000000-1"
)

var debBuild struct {
	once sync.Once
	path string
	out  string
	err  error
}

// debPackage builds the package once per test binary with `make deb` into
// a temporary directory and returns its path. It skips under -short, and
// where dpkg is missing unless CI is set.
func debPackage(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a package: not in -short")
	}
	needTools(t, "dpkg", "dpkg-deb")
	debBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "switchman-deb-")
		if err != nil {
			debBuild.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, "make", "deb", "VERSION="+debTestDescribe, "DEBOUT="+dir, "SOURCE_DATE_EPOCH=1700000000")
		c.Dir = "../.."
		out, err := c.CombinedOutput()
		debBuild.out, debBuild.err = string(out), err
		debBuild.path = filepath.Join(dir, "switchman_"+debTestVersion+"_"+hostArch()+".deb")
	})
	if debBuild.err != nil {
		t.Fatalf("make deb: %v\n%s", debBuild.err, debBuild.out)
	}
	return debBuild.path
}

// needTools skips (fails under CI) when a command is missing; make deps
// installs them (scripts/install-packaging-tools.sh).
func needTools(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set but %s is missing (make deps installs it)", c)
			}
			t.Skipf("%s not installed (make deps installs it)", c)
		}
	}
}

// needRoot fails the test under CI when it does not run as root (CI runs
// as root, so that would be a broken set-up), and skips it elsewhere; why
// completes "needs root to ...".
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but the test is not root: it needs root to %s", why)
	}
	t.Skipf("needs root to %s", why)
}

func hostArch() string {
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// TestDebPackage checks the package's metadata and files without
// installing it anywhere, then its lintian report and man pages.
func TestDebPackage(t *testing.T) {
	deb := debPackage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fields := mustRun(ctx, t, "/", "dpkg-deb", "-f", deb)
	for _, want := range []string{"Version: " + debTestVersion, "Depends: libc6 (>= 2.", "Suggests: bash-completion",
		"Recommends: cron | cron-daemon, logrotate"} {
		if !strings.Contains(fields, want) {
			t.Errorf("control lacks %q:\n%s", want, fields)
		}
	}
	root := unpack(t, deb)
	for _, p := range []string{"usr/bin/switchman", "usr/lib/switchman/switchman-shim", "usr/lib/switchman/switchman-metrics",
		"usr/lib/switchman/switchman-serve",
		"usr/share/doc/switchman/examples/switchman.yaml", "usr/share/doc/switchman/examples/notify/webhook",
		"usr/share/doc/switchman/changelog.Debian.gz",
		"usr/share/doc/switchman/copyright", "usr/share/doc/switchman/README.md.gz", "etc/logrotate.d/switchman",
		"usr/share/bash-completion/completions/switchman", "usr/share/zsh/vendor-completions/_switchman",
		"usr/share/fish/vendor_completions.d/switchman.fish", "usr/share/man/man5/switchman.yaml.5.gz"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("package lacks /%s: %v", p, err)
		}
	}
	// A conffile /etc/switchman.yaml would be read before the original's
	// /etc/switchman.conf: the package must not ship one.
	if _, err := os.Stat(filepath.Join(root, "etc/switchman.yaml")); err == nil {
		t.Error("package ships /etc/switchman.yaml")
	}
	ctrl := t.TempDir()
	mustRun(ctx, t, "/", "dpkg-deb", "-e", deb, ctrl)
	if b, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/logrotate.d/switchman" {
		t.Errorf("conffiles = %q, want only /etc/logrotate.d/switchman", b)
	}
	if out := mustRun(ctx, t, "/", filepath.Join(root, "usr/bin/switchman"), "--version"); out != "switchman "+debTestDescribe+"\n" {
		t.Errorf("switchman --version = %q", out)
	}
	checkChangelog(ctx, t, root)
	checkManPages(ctx, t, root)
	checkLogrotate(ctx, t, root)
	checkLintian(ctx, t, deb)
}

// checkChangelog compares the changelog's version with the package's.
func checkChangelog(ctx context.Context, t *testing.T, root string) {
	t.Helper()
	out := mustRun(ctx, t, "/", "sh", "-c", `zcat "$1" | head -1`, "sh", filepath.Join(root, "usr/share/doc/switchman/changelog.Debian.gz"))
	if !strings.HasPrefix(out, "switchman ("+debTestVersion+") ") {
		t.Errorf("changelog's first line %q does not name version %s", out, debTestVersion)
	}
}

// checkManPages renders every page with man, warnings on, and reads its
// NAME line as mandb does: each page is titled with its own command and
// has a summary.
func checkManPages(ctx context.Context, t *testing.T, root string) {
	t.Helper()
	needTools(t, "man", "lexgrog")
	pages, _ := filepath.Glob(filepath.Join(root, "usr/share/man/man[15]/*.gz"))
	if len(pages) < 10 {
		t.Fatalf("only %d man pages", len(pages))
	}
	for _, p := range pages {
		name := strings.TrimSuffix(filepath.Base(p), ".gz")
		name, sec := name[:strings.LastIndexByte(name, '.')], name[strings.LastIndexByte(name, '.')+1:]
		c := exec.CommandContext(ctx, "man", "--warnings", "-l", p)
		c.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=80", "LANG=C.UTF-8")
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		// Lines too long to adjust at this width (a default PATH) are
		// typography, not mistakes.
		warnings := regexp.MustCompile(`(?m)^.*warning.*cannot (adjust|break) line\n`).ReplaceAllString(stderr.String(), "")
		if err != nil || warnings != "" {
			t.Errorf("man %s: %v\n%s", name, err, warnings)
		}
		title := strings.ToUpper(name) + "(" + sec + ")"
		if first := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]); !strings.HasSuffix(first, title) {
			t.Errorf("man %s: title line %q, want %s", name, first, title)
		}
		whatis := mustRun(ctx, t, "/", "lexgrog", p)
		if !strings.Contains(whatis, `"`+name+` - `) || regexp.MustCompile(` - [a-z-]* - `).MatchString(whatis) {
			t.Errorf("lexgrog %s: %q, want %q followed by a summary", name, whatis, name+" - ")
		}
	}
	man := func(page string) string {
		c := exec.CommandContext(ctx, "man", "-l", filepath.Join(root, "usr/share/man", page))
		c.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=200", "LANG=C.UTF-8")
		out, _ := c.Output()
		return strings.Join(strings.Fields(string(out)), " ")
	}
	for _, want := range []string{"EXIT STATUS", "ENVIRONMENT", "FILES", "SWITCHMAN_CONFIG", "/var/log/switchman/USER.log", "switchman.yaml(5)"} {
		if !strings.Contains(man("man1/switchman.1.gz"), want) {
			t.Errorf("switchman(1) lacks %q", want)
		}
	}
	if out := man("man1/switchman-crontab-generate.1.gz"); !strings.Contains(out, "<crontab> ... </crontab>") {
		t.Errorf("switchman-crontab-generate(1) lost <crontab>:\n%s", out)
	}
	yaml := man("man5/switchman.yaml.5.gz")
	for _, k := range []string{"zkhosts", "prefix", "logfile", "auth_file", "metrics_textfile_dir"} {
		if !strings.Contains(yaml, k+" (default: ") {
			t.Errorf("switchman.yaml(5) lacks key %s", k)
		}
	}
}

// checkLogrotate parses the package's rotation config with logrotate in
// debug mode (which changes nothing) against a state file of its own.
func checkLogrotate(ctx context.Context, t *testing.T, root string) {
	t.Helper()
	bin, err := exec.LookPath("logrotate")
	if err != nil {
		bin = "/usr/sbin/logrotate"
	}
	needTools(t, bin)
	out := mustRun(ctx, t, "/", bin, "-d", "-s", filepath.Join(t.TempDir(), "state"), filepath.Join(root, "etc/logrotate.d/switchman"))
	if strings.Contains(out, "error:") {
		t.Errorf("logrotate -d:\n%s", out)
	}
}

// checkLintian runs lintian with every tag shown (-I --pedantic): any tag
// not overridden in the package, with a reason, fails.
func checkLintian(ctx context.Context, t *testing.T, deb string) {
	t.Helper()
	needTools(t, "lintian")
	c := exec.CommandContext(ctx, "lintian", "-I", "--pedantic", "--tag-display-limit", "0", deb)
	raw, err := c.CombinedOutput()
	out := regexp.MustCompile(`(?m)^running with root privileges is not recommended!\n`).ReplaceAllString(string(raw), "")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("lintian -I --pedantic is not clean (%v):\n%s", err, out)
	}
}

// unpack extracts the package into a fresh directory and returns it.
func unpack(t *testing.T, deb string) string {
	t.Helper()
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustRun(ctx, t, "/", "dpkg-deb", "-x", deb, root)
	return root
}

// throwawayRoot makes a directory that dpkg --root can install into: an
// empty, private dpkg database under it. Files given are created first.
func throwawayRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc", "var/log"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]string{"var/lib/dpkg/status": ""}
	maps.Copy(all, files)
	for p, body := range all {
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// dpkgIn runs dpkg on the throwaway root: its own database, its maintainer
// scripts outside a chroot with $DPKG_ROOT, dependencies not checked (the
// root has no libc6 package), no log in the machine's /var/log.
func dpkgIn(ctx context.Context, t *testing.T, root string, args ...string) string {
	t.Helper()
	base := []string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--force-not-root",
		"--log=" + filepath.Join(root, "dpkg.log")}
	return mustRun(ctx, t, "/", "dpkg", append(base, args...)...)
}

// TestDebMaintainerScripts installs, reinstalls and purges the package in
// throwaway roots: a host without config gets /etc/switchman.yaml from the
// example, a host with the original's /etc/switchman.conf gets none (so the
// config in use does not change), and purge keeps an edited config.
func TestDebMaintainerScripts(t *testing.T) {
	ctx, deb := debTest(t, "give the log directory to group adm", 5*time.Minute)
	fresh := installedRoot(ctx, t, deb, nil)
	example, err := os.ReadFile(filepath.Join(fresh, "usr/share/doc/switchman/examples/switchman.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(fresh, "etc/switchman.yaml")); err != nil || !bytes.Equal(got, example) {
		t.Errorf("fresh install: /etc/switchman.yaml is not the example (%v)", err)
	}
	checkLogDir(t, filepath.Join(fresh, "var/log/switchman"))
	// An upgrade (or reinstall) never creates the config again: the admin
	// may have removed it on purpose.
	os.Remove(filepath.Join(fresh, "etc/switchman.yaml"))
	dpkgIn(ctx, t, fresh, "-i", deb)
	if _, err := os.Stat(filepath.Join(fresh, "etc/switchman.yaml")); err == nil {
		t.Error("reinstall created /etc/switchman.yaml again")
	}

	original := installedRoot(ctx, t, deb, map[string]string{
		"etc/switchman.conf": zktest.SwitchmanConfig{JSON: true, Hosts: "zk:2181", Prefix: "/sm"}.String()})
	if _, err := os.Stat(filepath.Join(original, "etc/switchman.yaml")); err == nil {
		t.Error("install on a host with /etc/switchman.conf created /etc/switchman.yaml")
	}

	edited := installedRoot(ctx, t, deb, nil)
	conf := zktest.WriteConfig(t, filepath.Join(edited, "etc/switchman.yaml"), zktest.SwitchmanConfig{Hosts: "zk.acme:2181", Prefix: "/acme"})
	dpkgIn(ctx, t, edited, "--purge", "switchman")
	if _, err := os.Stat(conf); err != nil {
		t.Errorf("purge removed the edited /etc/switchman.yaml: %v", err)
	}
	untouched := installedRoot(ctx, t, deb, nil)
	dpkgIn(ctx, t, untouched, "--purge", "switchman")
	for _, p := range []string{"etc/switchman.yaml", "var/log/switchman", "usr/bin/switchman"} {
		if _, err := os.Stat(filepath.Join(untouched, p)); err == nil {
			t.Errorf("purge left /%s", p)
		}
	}
}

// debTest starts a test of the built package, which needs root (for why),
// and returns it with a deadline of within for the test's dpkg and
// switchman runs.
func debTest(t *testing.T, why string, within time.Duration) (context.Context, string) {
	t.Helper()
	deb := debPackage(t)
	needRoot(t, why)
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	return ctx, deb
}

// installedRoot installs deb into a fresh throwaway root holding files and
// returns the root.
func installedRoot(ctx context.Context, t *testing.T, deb string, files map[string]string) string {
	t.Helper()
	root := throwawayRoot(t, files)
	dpkgIn(ctx, t, root, "-i", deb)
	return root
}

// installedConfig returns the config the package installed into root,
// which logs to one file per user under /var/log/switchman.
func installedConfig(t *testing.T, root string) string {
	t.Helper()
	installed := readFile(t, filepath.Join(root, "etc/switchman.yaml"))
	if !strings.Contains(installed, "\nlogfile: /var/log/switchman/%u.log\n") {
		t.Fatalf("the installed config does not log to /var/log/switchman/%%u.log:\n%s", installed)
	}
	return installed
}

// checkLogDir checks the log directory postinst made: every user may
// create files (others -wx), only group adm may list them, nobody may
// remove another's file (sticky), and new files get group adm (setgid).
func checkLogDir(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("log directory: %v", err)
	}
	want := os.ModeDir | os.ModeSetgid | os.ModeSticky | 0o753
	if st.Mode() != want {
		t.Errorf("%s mode %v, want %v", dir, st.Mode(), want)
	}
	if gid := st.Sys().(*syscall.Stat_t).Gid; gid != admGID(t) {
		t.Errorf("%s group %d, want adm", dir, gid)
	}
}

func admGID(t *testing.T) uint32 {
	t.Helper()
	out, err := exec.Command("getent", "group", "adm").Output()
	parts := strings.Split(string(out), ":")
	if err != nil || len(parts) < 3 {
		t.Fatalf("getent group adm: %v", err)
	}
	var gid uint32
	for _, c := range parts[2] {
		gid = gid*10 + uint32(c-'0')
	}
	return gid
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

// TestDebDefaultLogging runs jobs with the package's own default config
// and log directory (installed into a throwaway root; only the paths are
// moved into it): a root run first, then a run as an unprivileged user,
// which must run its job and log to a file of its own; doctor as that user
// says so. Then a run whose log cannot be opened still runs its job.
func TestDebDefaultLogging(t *testing.T) {
	ctx, deb := debTest(t, "run a job as another user", 3*time.Minute)
	root := installedRoot(ctx, t, deb, nil)
	// The other user must reach the root's files: t.TempDir's parents are
	// private to us.
	for d := root; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logdir := filepath.Join(root, "var/log/switchman")
	// Doctor's ZooKeeper checks fail fast here; its log check is the point.
	cfg := zktest.WriteConfig(t, filepath.Join(root, "etc/switchman.yaml"), zktest.SwitchmanConfig{
		Base: installedConfig(t, root), Hosts: "127.0.0.1:1", ConnectTimeout: "0.5", Logfile: logdir + "/%u.log"})
	bin := filepath.Join(root, "usr/bin/switchman")
	const nobody = 65534
	run := func(uid uint32, args ...string) (int, string) {
		// A subcommand comes first; a wrapper line's options go before
		// the command.
		full := append([]string{"-c", cfg}, args...)
		if args[0] == "doctor" {
			full = append(args, "-c", cfg)
		}
		c := exec.CommandContext(ctx, bin, full...)
		c.Dir = "/"
		c.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "SWITCHMAN_HELPER_DIR=" + filepath.Join(root, "usr/lib/switchman")}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("switchman %v: %v", args, err)
		}
		return code, string(out) + stderr.String()
	}
	for _, u := range []struct {
		uid  uint32
		name string
	}{{0, "root"}, {nobody, "nobody"}} {
		code, out := run(u.uid, "--no-lock", "--", "/bin/sh", "-c", "echo ran as $(id -un); exit 3")
		if code != 3 || out != "ran as "+u.name+"\n" {
			t.Errorf("job as %s: exit %d, output %q; want 3 and only the job's line", u.name, code, out)
		}
		log := filepath.Join(logdir, u.name+".log")
		b, err := os.ReadFile(log)
		if err != nil || !strings.Contains(string(b), `"message":"FINISH"`) || !strings.Contains(string(b), `"exit_code":3`) {
			t.Errorf("%s has no FINISH line for %s's job (%v):\n%s", log, u.name, err, b)
		}
		if st, err := os.Stat(log); err == nil {
			sys := st.Sys().(*syscall.Stat_t)
			if sys.Uid != u.uid || sys.Gid != admGID(t) || st.Mode().Perm() != 0o640 {
				t.Errorf("%s: owner %d group %d mode %v; want %d, adm, 0640", log, sys.Uid, sys.Gid, st.Mode().Perm(), u.uid)
			}
		}
	}
	_, out := run(nobody, "doctor")
	if !strings.Contains(out, "OK   log: "+filepath.Join(logdir, "nobody.log")+" writable by nobody") ||
		!strings.Contains(out, "OK   config: "+cfg+" in effect (given with --config)") {
		t.Errorf("doctor as nobody:\n%s", out)
	}

	// A log nobody can write (a file root planted there) never stops the
	// job: one line on stderr says where the log went, and doctor fails.
	os.Remove(filepath.Join(logdir, "nobody.log"))
	if err := os.WriteFile(filepath.Join(logdir, "nobody.log"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := run(nobody, "--no-lock", "--", "/bin/sh", "-c", "exit 4")
	if code != 4 || !strings.Contains(out, "logging to stderr only") {
		t.Errorf("job with an unwritable log: exit %d, output %q; want 4 and a warning", code, out)
	}
	if code, out := run(nobody, "doctor"); code != exitcode.Failed || !strings.Contains(out, "FAIL log: nobody cannot write") {
		t.Errorf("doctor with an unwritable log: exit %d:\n%s", code, out)
	}
}
