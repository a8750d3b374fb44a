package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/zktest"
)

// runCrontab runs `switchman crontab ARGS` in process, through the root
// command and the exit-code mapping, as Main does.
func runCrontab(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{Stdout: &out, Stderr: &errb, Getenv: os.Getenv}
	root := newRootCmd(app)
	if c, _, err := root.Find([]string{"crontab"}); err != nil || c.Name() != "crontab" {
		root.AddCommand(newCrontabCmd(app)) // until root.go registers it
	}
	root.SetArgs(append([]string{"crontab"}, args...))
	err := root.Execute()
	var ee *exitcode.Error
	if err != nil && !(errors.As(err, &ee) && ee.Err == nil) {
		fmt.Fprintf(&errb, "switchman: %v\n", err)
	}
	return exitCode(err), out.String(), errb.String()
}

func TestCrontabRegistered(t *testing.T) {
	root := newRootCmd(&App{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: os.Getenv})
	if c, _, err := root.Find([]string{"crontab", "generate"}); err != nil || c.Name() != "generate" {
		t.Fatalf("switchman crontab generate is not reachable from the root command (root.AddCommand(newCrontabCmd(app)))")
	}
}

// writeScripts creates files under a temp dir and returns the dir.
func writeScripts(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var sampleScripts = map[string]string{
	"bin/shard.pl": "#!/usr/bin/perl\n\n=head1 METADATA\n\n    <crontab>\n        time: */2 * * * *\n        params: --mod 2 --rem 0\n    </crontab>\n" +
		"    <crontab>\n        time: */2 * * * *\n        params: --mod 2 --rem 1\n        group: reports\n    </crontab>\n\n=cut\n",
	"bin/report.sh": "#!/bin/sh\n# <crontab>\n#   time: 30 4 * * mon-fri\n#   params: --format %Y-%m-%d\n#   timeout: 2h\n#   wait: 5m\n#   mailto: ops@example.com\n# </crontab>\n",
	"bin/clean.go":  "// <crontab>\n//   time: @daily\n//   no_lock: yes\n//   env: TZ=UTC\n// </crontab>\npackage main\n",
}

func TestCrontabGenerateWritesWhatTheCheckerAccepts(t *testing.T) {
	src := writeScripts(t, sampleScripts)
	out := t.TempDir()
	code, stdout, stderr := runCrontab(t, "generate", "--package", "scripts2", "--install-dir", "/usr/lib/scripts2",
		"--debhelper", "--out", out, filepath.Join(src, "bin"))
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	file := filepath.Join(out, "scripts2.cron.d")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"*/2 * * * * root /usr/bin/switchman --lockname shard.pl-mod-2-rem-0 --schedule '*/2 * * * *' -- /usr/lib/scripts2/shard.pl --mod 2 --rem 0\n",
		"*/2 * * * * root /usr/bin/switchman --group reports --lockname shard.pl-mod-2-rem-1 --schedule '*/2 * * * *' -- /usr/lib/scripts2/shard.pl --mod 2 --rem 1\n",
		"@daily root TZ=UTC /usr/bin/switchman --no-lock --schedule @daily -- /usr/lib/scripts2/clean.go\n",
		"MAILTO=ops@example.com\n",
		"30 4 * * mon-fri root /usr/bin/switchman --lockname report.sh --timeout 2h --wait=5m --schedule '30 4 * * mon-fri' -- /usr/lib/scripts2/report.sh --format \\%Y-\\%m-\\%d\n",
		"SHELL=/bin/sh\n",
		"@reboot root /usr/bin/switchman catch-up scripts2\n",
		"2-59/5 * * * * root /usr/bin/switchman catch-up scripts2\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %q:\n%s", file, want, data)
		}
	}
	// Every generated line parses with the wrapper's own flag parser; the
	// catch-up entry (two lines) draws no note.
	code, stdout, _ = runCrontab(t, "check", "-v", file)
	if code != 0 || !strings.HasPrefix(stdout, "CRONTAB OK - 6 switchman lines in 1 files |") {
		t.Fatalf("check of generated file: exit %d, %q", code, stdout)
	}
}

func TestCrontabGeneratePrintsWithoutOut(t *testing.T) {
	src := writeScripts(t, sampleScripts)
	code, stdout, stderr := runCrontab(t, "generate", "--package", "p", "--install-dir", "/opt/p", "--shell", "", "--path", "", src)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# /etc/cron.d/p: generated") || strings.Contains(stdout, "SHELL=") || strings.Contains(stdout, "PATH=") {
		t.Fatalf("stdout:\n%s", stdout)
	}
}

func TestCrontabGenerateCheck(t *testing.T) {
	src := writeScripts(t, sampleScripts)
	out := t.TempDir()
	args := []string{"generate", "--package", "p", "--install-dir", "/opt/p", "--out", out, src}
	if code, _, stderr := runCrontab(t, args...); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCrontab(t, append(args, "--check")...); code != 0 || stdout != "" {
		t.Fatalf("check of fresh files: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// A script changes: --check fails with a diff and writes nothing.
	if err := os.WriteFile(filepath.Join(src, "bin", "clean.go"), []byte("// <crontab>\n//   time: @hourly\n// </crontab>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, "p"))
	code, stdout, stderr := runCrontab(t, append(args, "--check")...)
	if code == 0 || !strings.Contains(stdout, "-@daily root TZ=UTC") || !strings.Contains(stdout, "+@hourly root /usr/bin/switchman --lockname clean.go") {
		t.Fatalf("check of stale files: exit %d, stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, "out of date") {
		t.Errorf("stderr %q does not say the files are out of date", stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "p")); !bytes.Equal(before, after) {
		t.Errorf("--check changed the file")
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"--check without --out", []string{"--check", src}, "give --out"},
		{"missing --out", []string{"--out", filepath.Join(out, "none"), src}, "is not an existing directory"},
		{"relative --install-dir", []string{"--install-dir", "usr/lib/p", src}, "is not absolute"},
	} {
		if code, _, stderr := runCrontab(t, append([]string{"generate"}, tt.args...)...); code != exitcode.Usage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, %q; want %d and %q", tt.name, code, stderr, exitcode.Usage, tt.want)
		}
	}
}

func TestCrontabGenerateReportsEveryErrorAndWritesNothing(t *testing.T) {
	src := writeScripts(t, map[string]string{
		"a.sh": "# <crontab>\n#   time: 61 * * * *\n#   package: p\n# </crontab>\n",
		"b.sh": "# <crontab>\n#   time: @daily\n#   package: p\n#   group: a+b\n# </crontab>\n",
		"c.sh": "# <crontab>\n#   time: @daily\n#   package: p.v2\n# </crontab>\n",
		"d.sh": "# <crontab>\n#   time: @daily\n#   package: p\n#   colour: red\n# </crontab>\n",
	})
	out := t.TempDir()
	code, _, stderr := runCrontab(t, "generate", "--install-dir", "/opt/p", "--out", out, src)
	if code == 0 {
		t.Fatal("generate succeeded")
	}
	for _, want := range []string{
		filepath.Join(src, "a.sh") + `:2: time: minute field "61": 61 is out of range 0-59`,
		filepath.Join(src, "b.sh") + `:1: switchman would refuse this job: invalid --group: group name "a+b"`,
		filepath.Join(src, "c.sh") + `:3: package "p.v2": cron ignores /etc/cron.d files`,
		filepath.Join(src, "d.sh") + `:4: unknown key "colour"`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("files were written despite errors: %d", len(entries))
	}
}

func TestCrontabCheckExitCodes(t *testing.T) {
	dir := writeScripts(t, map[string]string{
		"cron.d/ok":       "* * * * * root /usr/bin/switchman -g reports -- /bin/true\n",
		"cron.d/badflag":  "* * * * * root /usr/bin/switchman --frob -- /bin/true\n",
		"cron.d/badlock":  "* * * * * root /usr/bin/switchman --lockname a/b -- /bin/true\n",
		"cron.d/nojob":    "* * * * * root /bin/true\n",
		"cron.d/nogroup":  "* * * * * root /usr/bin/switchman --group \"\" -- /bin/true\n",
		"cron.d/bad.name": "* * * * * root /usr/bin/switchman -- /bin/true\n",
		"user":            "*/5 * * * * /usr/bin/switchman --no-lock -- /bin/true\n",
	})
	p := func(name string) string { return filepath.Join(dir, name) }
	tests := []struct {
		name   string
		args   []string
		code   int
		prefix string
	}{
		{name: "ok", args: []string{p("cron.d/ok"), p("user")}, code: 0, prefix: "CRONTAB OK - 2 switchman lines in 2 files | files=2;;;0"},
		{name: "bad flag", args: []string{p("cron.d/ok"), p("cron.d/badflag")}, code: 2, prefix: "CRONTAB CRITICAL - " + p("cron.d/badflag") + ":1: switchman flags: unknown option --frob"},
		{name: "bad lock name", args: []string{p("cron.d/badlock")}, code: 2, prefix: "CRONTAB CRITICAL - " + p("cron.d/badlock") + ":1: switchman flags: invalid lock name"},
		{name: "empty group", args: []string{p("cron.d/nogroup")}, code: 2, prefix: "CRONTAB CRITICAL - " + p("cron.d/nogroup") + ":1: switchman flags: empty --group"},
		{name: "no switchman line", args: []string{p("cron.d/nojob")}, code: 1, prefix: "CRONTAB WARNING - no switchman invocations found"},
		{name: "ignored cron.d name", args: []string{p("cron.d/bad.name")}, code: 1, prefix: "CRONTAB WARNING - " + p("cron.d/bad.name") + ": cron ignores this file"},
		{name: "user format forced", args: []string{"--format", "system", p("user")}, code: 2, prefix: "CRONTAB CRITICAL - " + p("user") + ":1: no user field"},
		{name: "missing file", args: []string{p("nope")}, code: 3, prefix: "CRONTAB UNKNOWN - open " + p("nope") + ": no such file or directory"},
		{name: "no files", args: nil, code: 3, prefix: "CRONTAB UNKNOWN - no files given"},
		{name: "bad flag of check", args: []string{"--nope", p("user")}, code: 3, prefix: "CRONTAB UNKNOWN - unknown flag: --nope"},
		{name: "bad format", args: []string{"--format", "x", p("user")}, code: 3, prefix: "CRONTAB UNKNOWN - --format \"x\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCrontab(t, append([]string{"check"}, tt.args...)...)
			if code != tt.code || !strings.HasPrefix(stdout, tt.prefix) {
				t.Fatalf("exit %d, stdout %q; want %d, %q", code, stdout, tt.code, tt.prefix)
			}
			if strings.Count(stdout, "\n") != 1 || stderr != "" {
				t.Errorf("want exactly one line on stdout and nothing on stderr; got %q, %q", stdout, stderr)
			}
		})
	}
}

func TestCrontabCheckGroupsInZooKeeper(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"reports":["a.example.com"],"batch":["reports"]},"resources":[]}`)
	dir := writeScripts(t, map[string]string{
		"cron.d/good": "* * * * * root /usr/bin/switchman --group reports -- /bin/true\n@daily root /usr/bin/switchman -g batch -- /bin/true\n",
		"cron.d/typo": "* * * * * root /usr/bin/switchman --group reprots -- /bin/true\n",
	})
	code, stdout, stderr := runCrontab(t, "check", "--zk", "-c", e.cfg, filepath.Join(dir, "cron.d", "good"))
	if code != 0 || !strings.HasPrefix(stdout, "CRONTAB OK - 2 switchman lines") {
		t.Fatalf("good: exit %d, %q, %q", code, stdout, stderr)
	}
	code, stdout, _ = runCrontab(t, "check", "--zk", "-c", e.cfg, filepath.Join(dir, "cron.d", "good"), filepath.Join(dir, "cron.d", "typo"))
	want := "CRONTAB CRITICAL - " + filepath.Join(dir, "cron.d", "typo") + `:1: group "reprots" is not defined in ZooKeeper`
	if code != 2 || !strings.HasPrefix(stdout, want) {
		t.Fatalf("typo: exit %d, %q; want 2, %q", code, stdout, want)
	}
	// Without --zk the group is not looked up.
	if code, _, _ := runCrontab(t, "check", filepath.Join(dir, "cron.d", "typo")); code != 0 {
		t.Errorf("without --zk: exit %d, want 0", code)
	}
	// A config pointing nowhere is UNKNOWN, not OK.
	bad := zktest.WriteConfig(t, filepath.Join(t.TempDir(), "switchman.yaml"),
		zktest.SwitchmanConfig{Hosts: "127.0.0.1:1", Prefix: "/x", ConnectTimeout: "1s"})
	code, stdout, _ = runCrontab(t, "check", "--zk", "-c", bad, filepath.Join(dir, "cron.d", "good"))
	if code != 3 || !strings.HasPrefix(stdout, "CRONTAB UNKNOWN - read groups from ZooKeeper") {
		t.Fatalf("unreachable ZooKeeper: exit %d, %q", code, stdout)
	}
}

// TestCrontabGenerateSplayFromConfig: the config's splay reaches every
// generated line whose block sets none, only when the config is given on
// purpose; a bad value names the key.
func TestCrontabGenerateSplayFromConfig(t *testing.T) {
	src := writeScripts(t, map[string]string{
		"bin/a.sh": "#!/bin/sh\n# <crontab>\n#   time: */5 * * * *\n# </crontab>\n",
		"bin/b.sh": "#!/bin/sh\n# <crontab>\n#   time: @hourly\n#   splay: 0\n# </crontab>\n",
	})
	cfg := func(splay string) string {
		p := filepath.Join(t.TempDir(), "switchman.yaml")
		if err := os.WriteFile(p, []byte("zkhosts: 127.0.0.1:1\nprefix: /s\nsplay: "+splay+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gen := []string{"generate", "--package", "p", "--install-dir", "/opt/p", filepath.Join(src, "bin")}
	for _, tt := range []struct {
		name       string
		args       []string
		code       int
		want, not  string
		wantStderr string
	}{
		{"config given", append([]string{"--config", cfg("45s")}, gen...), 0,
			"/usr/bin/switchman --lockname a.sh --splay 45s --schedule '*/5 * * * *' -- /opt/p/a.sh", "--lockname b.sh --splay", ""},
		{"no config", gen, 0, "/usr/bin/switchman --lockname a.sh --schedule '*/5 * * * *' -- /opt/p/a.sh", "--splay", ""},
		{"no unit", append([]string{"--config", cfg("30")}, gen...), 78, "", "", `key "splay": "30" is not a duration with a unit`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SWITCHMAN_CONFIG", "")
			code, stdout, stderr := runCrontab(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.want) || (tt.not != "" && strings.Contains(stdout, tt.not)) ||
				!strings.Contains(stderr, tt.wantStderr) || strings.Count(stderr, "\n") > 1 {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tt.code, stdout, stderr)
			}
		})
	}
}
