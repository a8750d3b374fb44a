package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/exitcode"
)

func TestCrontabGenerateSystemdUnits(t *testing.T) {
	src := writeScripts(t, sampleScripts)
	out := t.TempDir()
	args := []string{"generate", "--format", "systemd", "--package", "scripts2", "--install-dir", "/usr/lib/scripts2", "--out", out, filepath.Join(src, "bin")}
	if code, stdout, stderr := runCrontab(t, args...); code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("generate: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for name, want := range map[string]string{
		"switchman-shard.pl-mod-2-rem-1.service": "ExecStart=/usr/bin/switchman --group reports --lockname shard.pl-mod-2-rem-1 -- /usr/lib/scripts2/shard.pl --mod 2 --rem 1\n",
		"switchman-shard.pl-mod-2-rem-1.timer":   "OnCalendar=*-*-* *:00/2:00\n",
		"switchman-report.sh.service":            "ExecStart=/usr/bin/switchman --lockname report.sh --timeout 2h --wait=5m -- /usr/lib/scripts2/report.sh --format %%Y-%%m-%%d\n",
		"switchman-report.sh.timer":              "OnCalendar=Mon..Fri *-*-* 04:30:00\n",
		"switchman-clean.go.service":             "Environment=TZ=UTC\nExecStart=/usr/bin/switchman --no-lock -- /usr/lib/scripts2/clean.go\n",
		"switchman-clean.go.timer":               "OnCalendar=*-*-* 00:00:00\n",
	} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, data)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 8 {
		t.Errorf("%d files in --out, want 4 services and 4 timers", len(entries))
	}
	if code, stdout, stderr := runCrontab(t, append(args, "--check")...); code != 0 || stdout != "" {
		t.Fatalf("check of fresh units: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestCrontabGenerateSystemdRefusesWithoutWriting: a schedule no timer can
// express is one line naming the file, the block and the field, exit 65
// (as every METADATA problem), and nothing lands in --out, not even the
// units of the good blocks.
func TestCrontabGenerateSystemdRefusesWithoutWriting(t *testing.T) {
	src := writeScripts(t, map[string]string{
		"good.sh": "# <crontab>\n#   time: @daily\n# </crontab>\n",
		"both.sh": "#!/bin/sh\n# <crontab>\n#   package: p\n#   time: 0 0 1 * mon\n# </crontab>\n",
	})
	out := t.TempDir()
	code, stdout, stderr := runCrontab(t, "generate", "--format", "systemd", "--package", "p", "--out", out, src)
	want := "switchman: " + filepath.Join(src, "both.sh") + `:4: block at line 2: time "0 0 1 * mon": day of month and day of week are both restricted`
	if code != exitcode.DataErr || stdout != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %d and one line starting %q", code, stdout, stderr, exitcode.DataErr, want)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("%d files in --out after a refusal, want none", len(entries))
	}
	if code, _, stderr := runCrontab(t, "generate", "--format", "upstart", src); code != exitcode.Usage || !strings.Contains(stderr, "want cron or systemd") {
		t.Errorf("--format upstart: exit %d, %q; want %d", code, stderr, exitcode.Usage)
	}
}
