package crontab

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/golden"
	"github.com/acme/switchman/nagios"
)

func TestInvocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  string
		want [][]string
	}{
		{name: "plain", cmd: "/usr/bin/switchman -g a -- /bin/job x", want: [][]string{{"-g", "a", "--", "/bin/job", "x"}}},
		{name: "by PATH", cmd: "switchman -- job", want: [][]string{{"--", "job"}}},
		{name: "env prefix", cmd: "TZ=UTC LANG='C x' /usr/bin/switchman -- job", want: [][]string{{"--", "job"}}},
		{name: "test guard is not a call", cmd: "test -x /usr/bin/switchman && /usr/bin/switchman -g b -- job",
			want: [][]string{{"-g", "b", "--", "job"}}},
		{name: "wrapper", cmd: "nice -n 10 /usr/bin/switchman -- job", want: [][]string{{"--", "job"}}},
		{name: "redirections dropped", cmd: "/usr/bin/switchman -- job >/dev/null 2>&1", want: [][]string{{"--", "job"}}},
		{name: "two calls", cmd: "switchman -- a; switchman -- b | cat", want: [][]string{{"--", "a"}, {"--", "b"}}},
		{name: "none", cmd: "/usr/bin/job --switchman", want: nil},
		{name: "echo mention", cmd: "echo switchman", want: nil},
		{name: "comment", cmd: "/bin/true # switchman -- x", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls, err := invocations(tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, c := range calls {
				got = append(got, c.args)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("invocations(%q) = %q, want %q", tt.cmd, got, tt.want)
			}
		})
	}
}

func TestCheckGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "check")
	groups := map[string]bool{"reports": true, "billing": true}
	var r Report
	names := []string{"cron.d/good", "cron.d/bad", "cron.d/bad.name", "user.crontab"}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		r.CheckFile(n, data, CheckOptions{Groups: groups})
	}
	r.Finish()
	var b strings.Builder
	fmt.Fprintf(&b, "status: %v\nsummary: %s\n", r.Status(), r.Summary())
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "%v %s\n", p.Severity, p)
	}
	for _, p := range r.Suggestions {
		fmt.Fprintf(&b, "SUGGESTION %s\n", p)
	}
	golden.Check(t, filepath.Join(dir, "report.golden"), b.String())
	if r.Status() != nagios.Critical {
		t.Errorf("status = %v, want CRITICAL", r.Status())
	}
}

// TestCheckSuggestsSchedule: a locked line without --schedule gets a
// suggestion to add the line's own, which changes no state.
func TestCheckSuggestsSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content, want string // want: the suggestion, "" for none
	}{
		{"locked line", "*/5 * * * * root /usr/bin/switchman -g a -- /bin/job\n",
			"/etc/cron.d/x:1: add --schedule '*/5 * * * *': each scheduled run then happens once fleet-wide, and a host that fires it late skips it"},
		{"keyword", "@daily root /usr/bin/switchman -- /bin/job\n",
			"/etc/cron.d/x:1: add --schedule @daily: each scheduled run then happens once fleet-wide, and a host that fires it late skips it"},
		{"has one", "@daily root /usr/bin/switchman --schedule @daily -- /bin/job\n", ""},
		{"no lock: nothing to claim", "@daily root /usr/bin/switchman --no-lock -- /bin/job\n", ""},
		{"@reboot has no slots", "@reboot root /usr/bin/switchman -- /bin/job\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Report
			r.CheckFile("/etc/cron.d/x", []byte(tt.content), CheckOptions{})
			r.Finish()
			if r.Status() != nagios.OK {
				t.Fatalf("status %v, want OK: %v", r.Status(), r.Problems)
			}
			var got string
			if len(r.Suggestions) > 0 {
				got = r.Suggestions[0].String()
			}
			if got != tt.want || len(r.Suggestions) > 1 {
				t.Fatalf("suggestions %v, want %q", r.Suggestions, tt.want)
			}
		})
	}
}

func TestCheckStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		groups              map[string]bool
		want                nagios.State
		summary             string
	}{
		{name: "ok", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -g a -- /bin/job\n",
			groups: map[string]bool{"a": true}, want: nagios.OK,
			summary: "CRONTAB OK - 1 switchman lines in 1 files | files=1;;;0 switchman_lines=1;;;0 problems=0;;;0"},
		{name: "no zk check", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -g zz -- /bin/job\n", want: nagios.OK},
		{name: "nothing found", file: "/etc/cron.d/x", content: "* * * * * root /bin/job\n", want: nagios.Warning,
			summary: "CRONTAB WARNING - no switchman invocations found in 1 files | files=1;;;0 switchman_lines=0;;;0 problems=1;;;0"},
		{name: "dynamic group", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -g $(cat /etc/g) -- /bin/job\n",
			groups: map[string]bool{"a": true}, want: nagios.Warning},
		{name: "computed lock name", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman --lockname \"$N\" -- /bin/job\n", want: nagios.OK},
		{name: "program named like a command", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -g a status\n",
			groups: map[string]bool{"a": true}, want: nagios.Warning,
			summary: "CRONTAB WARNING - /etc/cron.d/x:1: \"status\" is also a switchman command: it names the program only because an option stands before it; " +
				"read by the original's option rules (no --); unambiguous: switchman --group a -- status | files=1;;;0 switchman_lines=1;;;0 problems=1;;;0"},
		{name: "switchman's own command", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -c /etc/s.yaml crontab check --zk /etc/cron.d/x\n",
			want: nagios.Warning},
		{name: "the generated catch-up entry of its own file", file: "/etc/cron.d/x",
			content: "@reboot root /usr/bin/switchman catch-up x\n2-59/5 * * * * root /usr/bin/switchman catch-up x\n", want: nagios.OK},
		{name: "the catch-up entry in debhelper's file", file: "debian/x.cron.d", content: "@reboot root /usr/bin/switchman catch-up x\n", want: nagios.OK},
		{name: "a catch-up naming another file", file: "/etc/cron.d/x", content: "*/5 * * * * root /usr/bin/switchman catch-up y\n", want: nagios.Warning},
		{name: "missing group", file: "/etc/cron.d/x", content: "* * * * * root /usr/bin/switchman -g b -- /bin/job\n",
			groups: map[string]bool{"a": true}, want: nagios.Critical},
		{name: "pipe kept out of perfdata", file: "c", content: "* * * * * /usr/bin/switchman --bad -- a | b\n", want: nagios.Critical,
			summary: "CRONTAB CRITICAL - c:1: switchman flags: unknown option --bad | files=1;;;0 switchman_lines=1;;;0 problems=1;;;0"},
		{name: "system lines in a file named like a user crontab", file: "examples/crontab",
			content: "MAILTO=x\n*/5 * * * *  app  /usr/bin/switchman -g a -- /bin/job\n", groups: map[string]bool{"a": true}, want: nagios.OK,
			summary: "CRONTAB OK - 1 switchman lines in 1 files | files=1;;;0 switchman_lines=1;;;0 problems=0;;;0"},
		{name: "lines with and without a user field", file: "mine", content: "* * * * * /usr/bin/switchman -g a -- /bin/job\n* * * * * app /usr/bin/switchman -g a -- /bin/job\n",
			groups: map[string]bool{"a": true}, want: nagios.Warning},
		{name: "each line checked in the format it fits", file: "mine",
			content: "* * * * * /usr/bin/switchman -g a -- /bin/job\n* * * * * root /usr/bin/switchman --bogus-flag -- /bin/true\n",
			groups:  map[string]bool{"a": true}, want: nagios.Critical},
		{name: "user crontab", file: "mine", content: "* * * * * /usr/bin/switchman -g a -- /bin/job\n* * * * * /bin/other\n",
			groups: map[string]bool{"a": true}, want: nagios.OK},
		{name: "switchman in neither format", file: "mine", content: "* * * * * /usr/bin/switchman -g a -- /bin/job\n* * * * * a b switchman -g a -- /bin/job\n",
			groups: map[string]bool{"a": true}, want: nagios.Warning},
		{name: "user line in cron.d", file: "/etc/cron.d/x", content: "* * * * * /usr/bin/switchman -- /bin/job\n", want: nagios.Critical},
		{name: "schedule as the line's", file: "/etc/cron.d/x", content: "*/5 * * * * root /usr/bin/switchman --schedule '*/5  *  * * *' -- /bin/job\n",
			want: nagios.OK},
		{name: "schedule not the line's", file: "/etc/cron.d/x", content: "*/5 * * * * root /usr/bin/switchman --schedule '* * * * *' -- /bin/job\n",
			want: nagios.Warning, summary: "CRONTAB WARNING - /etc/cron.d/x:1: --schedule \"* * * * *\" is not the line's schedule \"*/5 * * * *\": " +
				"its runs would claim the wrong slots | files=1;;;0 switchman_lines=1;;;0 problems=1;;;0"},
		{name: "bad schedule", file: "/etc/cron.d/x", content: "@daily root /usr/bin/switchman --schedule '0 25 * * *' -- /bin/job\n",
			want: nagios.Critical},
		{name: "too long", file: "c", content: "* * * * * /usr/bin/switchman -- /bin/job " + strings.Repeat("x", 1000) + "\n", want: nagios.Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Report
			r.CheckFile(tt.file, []byte(tt.content), CheckOptions{Groups: tt.groups})
			r.Finish()
			if r.Status() != tt.want {
				t.Fatalf("status = %v, want %v; problems %v", r.Status(), tt.want, r.Problems)
			}
			if tt.summary != "" && r.Summary() != tt.summary {
				t.Errorf("summary = %q\nwant      %q", r.Summary(), tt.summary)
			}
			if s := r.Summary(); strings.Count(s, "|") != 1 || strings.ContainsAny(s, "\n\r") {
				t.Errorf("summary %q is not one Nagios line", s)
			}
		})
	}
}
