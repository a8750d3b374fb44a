package crontabgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/metadata"
)

func TestUnitName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	tests := []struct{ name, lock, want string }{
		{name: "plain", lock: "report.sh", want: "switchman-report.sh"},
		{name: "dash kept", lock: "shard.pl-mod-2-rem-0", want: "switchman-shard.pl-mod-2-rem-0"},
		{name: "at escaped", lock: "db@night", want: `switchman-db\x40night`},
		{name: "punctuation", lock: "p+q=r,s%t", want: `switchman-p\x2bq\x3dr\x2cs\x25t`},
		{name: "non-ASCII", lock: "café", want: `switchman-caf\xc3\xa9`},
		{name: "too long", lock: long, want: "switchman-" + long[:255-8-10-9] + "-" + shortHash(long)},
		{name: "too long escaped", lock: strings.Repeat("@", 100), want: "switchman-" + strings.Repeat(`\x40`, 57) + "-" + shortHash(strings.Repeat("@", 100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := UnitName(tt.lock)
			if got != tt.want {
				t.Fatalf("UnitName(%q) = %q, want %q", tt.lock, got, tt.want)
			}
			if len(got+".service") > 255 {
				t.Fatalf("UnitName(%q) is %d bytes with .service, more than systemd's 255", tt.lock, len(got+".service"))
			}
		})
	}
}

// TestUnitNameAsSystemdEscape checks that, for lock names without "-",
// UnitName escapes as systemd-escape does the path switchman/LOCK, so
// `systemd-escape --unescape` gives the lock back.
func TestUnitNameAsSystemdEscape(t *testing.T) {
	t.Parallel()
	tool := systemdTool(t, "systemd-escape")
	locks := []string{"report.sh", "db@night", "p+q=r,s%t", "café", "a:b_c", "x.y.z", "~home"}
	out, err := exec.Command(tool, append([]string{"--"}, prefixed(locks)...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))
	for i, lock := range locks {
		if got := UnitName(lock); got != want[i] {
			t.Errorf("UnitName(%q) = %q, systemd-escape says %q", lock, got, want[i])
		}
	}
}

func prefixed(locks []string) []string {
	out := make([]string, len(locks))
	for i, l := range locks {
		out[i] = "switchman/" + l
	}
	return out
}

func TestUnitWord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		exec     bool
		want     string
	}{
		{name: "plain", in: "/usr/lib/x/report.sh", exec: true, want: "/usr/lib/x/report.sh"},
		{name: "flag with value", in: "--lease=FQDN_cpu=1:CPU", exec: true, want: "--lease=FQDN_cpu=1:CPU"},
		{name: "percent doubled", in: "%Y-%m-%d", exec: true, want: "%%Y-%%m-%%d"},
		{name: "blank quoted", in: "Daily report", exec: true, want: `"Daily report"`},
		{name: "dollar doubled in a command", in: "$HOME", exec: true, want: `"$$HOME"`},
		{name: "dollar kept in an assignment", in: "A=$x", exec: false, want: `"A=$x"`},
		{name: "quotes and backslash", in: `a"b\c'd`, exec: true, want: `"a\"b\\c'd"`},
		{name: "control character", in: "a\tb", exec: true, want: `"a\x09b"`},
		{name: "lone semicolon", in: ";", exec: true, want: `\;`},
		{name: "semicolon inside", in: "a;b", exec: true, want: `"a;b"`},
		{name: "empty", in: "", exec: true, want: `""`},
		{name: "non-ASCII", in: "café", exec: true, want: "café"},
		{name: "assignment with blank", in: "GREETING=hello, world 100%", exec: false, want: `"GREETING=hello, world 100%%"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := unitWord(tt.in, tt.exec); got != tt.want {
				t.Fatalf("unitWord(%q, %v) = %s, want %s", tt.in, tt.exec, got, tt.want)
			}
		})
	}
}

// TestTimerSettingsKeys reads a block's timer settings and renders them:
// METADATA catch_up makes the timer Persistent=true.
func TestTimerSettingsKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		catchUp string
		want    string
	}{
		{name: "none", want: ""},
		{name: "catch up", catchUp: "2h", want: "Persistent=true\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &Entry{Job: metadata.Job{CatchUp: tt.catchUp}}
			if got := timerOf(e).keys(); got != tt.want {
				t.Fatalf("timerOf(catch_up %q).keys() = %q, want %q", tt.catchUp, got, tt.want)
			}
		})
	}
}

func TestFormatFlag(t *testing.T) {
	t.Parallel()
	var f Format
	if f.String() != "cron" {
		t.Fatalf("zero Format is %q, want cron", f)
	}
	if err := f.Set("systemd"); err != nil || f != FormatSystemd || f.String() != "systemd" {
		t.Fatalf("Set(systemd): %v, %v", err, f)
	}
	if err := f.Set("upstart"); err == nil || !strings.Contains(err.Error(), "want cron or systemd") {
		t.Fatalf("Set(upstart) = %v", err)
	}
	if _, err := Build(nil, Options{Format: Format(7)}); err == nil {
		t.Fatal("Build accepted Format(7)")
	}
}

// systemdTool returns the path of a tool of Debian's systemd package; a
// missing tool fails the test under CI and skips it elsewhere.
func systemdTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (Debian package systemd; make deps installs it): %v", name, err)
		}
		t.Skipf("%s not found (Debian package systemd): %v", name, err)
	}
	return p
}

// TestUnitsPassSystemdVerify writes the units of the systemd-units case
// and runs `systemd-analyze verify` on them, which needs no systemd as PID
// 1 but checks that ExecStart's program exists: the test points --switchman
// at an executable of its own. verify exits 0 even for a key it ignores,
// so the test requires it to print nothing; a broken unit shows that it
// would print.
func TestUnitsPassSystemdVerify(t *testing.T) {
	t.Parallel()
	tool := systemdTool(t, "systemd-analyze")
	tmp := t.TempDir()
	switchman := filepath.Join(tmp, "switchman")
	if err := os.WriteFile(switchman, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "units")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := Generate([]string{filepath.Join("testdata", "cases", "systemd-units", "src")},
		Options{Format: FormatSystemd, Package: "tools", InstallDir: "/usr/lib/tools", Switchman: switchman, Path: "/usr/bin:/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(out, files); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(out, f.Name))
	}
	if msg, err := verify(tool, paths); err != nil || msg != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, msg)
	}

	broken := filepath.Join(tmp, "broken.timer")
	bad := strings.Replace(string(files[1].Bytes()), "OnCalendar=", "OnCalendar=*-*-41 ", 1)
	if err := os.WriteFile(broken, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, _ := verify(tool, []string{broken}); !strings.Contains(msg, "calendar") {
		t.Fatalf("systemd-analyze verify said nothing about a bad OnCalendar=: %q", msg)
	}
}

func verify(tool string, paths []string) (string, error) {
	out, err := exec.Command(tool, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestUnitPackageNames: a unit's package is only a comment, so cron's
// file-name rule does not apply; debhelper's package-name rule does.
func TestUnitPackageNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pkg string
		debhelper bool
		err       string
	}{
		{name: "dot allowed", pkg: "acme.v2"},
		{name: "debhelper needs a Debian name", pkg: "Acme_X", debhelper: true, err: "is not a Debian package name"},
		{name: "control character", pkg: "a\x01b", err: "contains a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jobs := []metadata.Job{{Path: "/src/a.sh", RelPath: "a.sh", Line: 1, Time: "@daily"}}
			files, err := Build(jobs, Options{Format: FormatSystemd, Package: tt.pkg, Debhelper: tt.debhelper})
			if tt.err == "" {
				if err != nil || len(files) != 2 {
					t.Fatalf("Build: %d files, %v", len(files), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Build: %v, want an error containing %q", err, tt.err)
			}
		})
	}
}
