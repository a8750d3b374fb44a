package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, c *Config)
	}{
		{
			name:  "splay",
			input: "zkhosts: a:1\nprefix: /s\nsplay: 2m30s\n",
			check: func(t *testing.T, c *Config) {
				if c.Splay != 150*time.Second {
					t.Errorf("Splay = %v, want 2m30s", c.Splay)
				}
			},
		},
		{
			name:  "slot skew and its default",
			input: "zkhosts: a:1\nprefix: /s\nslot_skew: 90s\n",
			check: func(t *testing.T, c *Config) {
				if c.SlotSkew != 90*time.Second {
					t.Errorf("SlotSkew = %v, want 1m30s", c.SlotSkew)
				}
				if d, _ := Parse("x", []byte("zkhosts: a:1\nprefix: /s\n")); d.SlotSkew != DefaultSlotSkew {
					t.Errorf("default SlotSkew = %v, want %v", d.SlotSkew, DefaultSlotSkew)
				}
			},
		},
		{
			name:  "notify keys",
			input: "zkhosts: a:1\nprefix: /s\nnotify: [\"sh /x/mail ops@e\", /x/hook]\nnotify_timeout: 3s\nnotify_after: 2\ndashboard_url: https://d:8080\n",
			check: func(t *testing.T, c *Config) {
				if strings.Join(c.Notify, "|") != "sh /x/mail ops@e|/x/hook" || c.NotifyTimeout != 3*time.Second || c.NotifyAfter != 2 || c.DashboardURL != "https://d:8080" {
					t.Errorf("got Notify %q, NotifyTimeout %s, NotifyAfter %d, DashboardURL %q", c.Notify, c.NotifyTimeout, c.NotifyAfter, c.DashboardURL)
				}
			},
		},
		{
			name:  "notify defaults and one command",
			input: "zkhosts: a:1\nprefix: /s\nnotify: /x/hook\n",
			check: func(t *testing.T, c *Config) {
				if strings.Join(c.Notify, "|") != "/x/hook" || c.NotifyTimeout != DefaultNotifyTimeout || c.NotifyAfter != 1 {
					t.Errorf("got Notify %q, NotifyTimeout %s, NotifyAfter %d", c.Notify, c.NotifyTimeout, c.NotifyAfter)
				}
			},
		},
		{
			name:  "notifiers and notify_repeat",
			input: "zkhosts: a:1\nprefix: /s\nnotify: /x/mail\nnotify_repeat: 6h\nnotifiers:\n  billing: [/x/slack, /x/mail]\n  one.more: /x/hook\n  quiet: []\n",
			check: func(t *testing.T, c *Config) {
				if c.NotifyRepeat != 6*time.Hour || len(c.Notifiers) != 3 {
					t.Fatalf("NotifyRepeat %s Notifiers %q", c.NotifyRepeat, c.Notifiers)
				}
				for name, want := range map[string]string{"": "/x/mail", "billing": "/x/slack|/x/mail", "one.more": "/x/hook", "quiet": ""} {
					got, err := c.NotifyCommands(name)
					if err != nil || strings.Join(got, "|") != want {
						t.Errorf("NotifyCommands(%q) = %q, %v; want %q", name, got, err, want)
					}
				}
				if got := strings.Join(c.AllNotifyCommands(), "|"); got != "/x/mail|/x/slack|/x/hook" {
					t.Errorf("AllNotifyCommands = %q", got)
				}
				_, err := c.NotifyCommands("billng")
				var fe *FileError
				if !errors.As(err, &fe) || !errors.Is(err, ErrNoNotifier) || !strings.Contains(err.Error(), `"notifiers" has no "billng"`) {
					t.Errorf("NotifyCommands of an undefined name: %v", err)
				}
			},
		},
		{
			name:  "notify_repeat default",
			input: "zkhosts: a:1\nprefix: /s\n",
			check: func(t *testing.T, c *Config) {
				if c.NotifyRepeat != DefaultNotifyRepeat {
					t.Errorf("NotifyRepeat %s", c.NotifyRepeat)
				}
			},
		},
		{
			name:  "original JSON config loads unchanged",
			input: `{"zkhosts":"zk1:2181,zk2:2181","prefix":"/switchman","loglevel":"warning","logfile":"/var/log/switchman.log","termination_timeout":5,"data_read_len":65536}`,
			check: func(t *testing.T, c *Config) {
				if got := strings.Join(c.ZKHosts, ","); got != "zk1:2181,zk2:2181" {
					t.Errorf("ZKHosts = %q", got)
				}
				if c.Prefix != "/switchman" || c.LogLevel != "warn" || c.TerminationTimeout != 5*time.Second {
					t.Errorf("got %+v", c)
				}
				if c.SessionTimeout != DefaultSessionTimeout || c.StartDeadline != DefaultStartDeadline || c.DataReadLen != 65536 {
					t.Errorf("defaults/compat keys wrong: %+v", c)
				}
			},
		},
		{
			name: "original JSON config: unknown keys, a long termination timeout, a key twice",
			input: "\n  {\"comment\": \"managed by puppet\", \"zkhosts\": \"zk1:2181\", \"prefix\": \"/s\",\n" +
				"   \"termination_timeout\": 30, \"extra\": {\"nested\": [1]}, \"prefix\": \"/t\"}\n",
			check: func(t *testing.T, c *Config) {
				if !c.Original || c.TerminationTimeout != 30*time.Second || c.Prefix != "/t" {
					t.Errorf("got %+v", c)
				}
				want := []string{`unknown key "comment"`, `unknown key "extra"`, `"prefix" given again`, `"termination_timeout" (30s) exceeds`}
				if len(c.Warnings) != len(want) {
					t.Fatalf("warnings %q, want %d", c.Warnings, len(want))
				}
				for _, w := range want {
					if !strings.Contains(strings.Join(c.Warnings, "\n"), w) {
						t.Errorf("warnings %q lack %q", c.Warnings, w)
					}
				}
			},
		},
		{
			name:  "YAML with a list of hosts and duration strings",
			input: "zkhosts:\n  - a:1\n  - b\nprefix: /x/y/\nsession_timeout: 20s\nconnect_timeout: 1.5\nstart_deadline: 2m\nresources_wait_timeout: 1m\nhostname: web1.example.com\nloglevel: critical\n",
			check: func(t *testing.T, c *Config) {
				if got := strings.Join(c.ZKHosts, ","); got != "a:1,b:2181" {
					t.Errorf("ZKHosts = %q", got)
				}
				if c.Prefix != "/x/y" || c.SessionTimeout != 20*time.Second || c.ConnectTimeout != 1500*time.Millisecond ||
					c.StartDeadline != 2*time.Minute || c.ResourcesWaitTimeout != time.Minute || c.Hostname != "web1.example.com" || c.LogLevel != "error" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:  "cgroup auto by default",
			input: "zkhosts: a:1\nprefix: /s\n",
			check: func(t *testing.T, c *Config) {
				if !c.Cgroups {
					t.Errorf("no cgroup key gave Cgroups %v", c.Cgroups)
				}
			},
		},
		{
			name:  "cgroup off",
			input: "zkhosts: a:1\nprefix: /s\ncgroup: off\n",
			check: func(t *testing.T, c *Config) {
				if c.Cgroups {
					t.Errorf("cgroup: off gave Cgroups %v", c.Cgroups)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("test.yaml", []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		want        []string // substrings of the one-line error
	}{
		{"empty", "", []string{"f.yaml", "zkhosts and prefix are required"}},
		{"not a mapping", "- a\n- b\n", []string{"f.yaml", "line 1", "mapping"}},
		{"bad yaml", "zkhosts: [a\n", []string{"f.yaml", "not valid YAML"}},
		{"unknown key", "zkhosts: a:1\nprefix: /s\nzkhost: b\n", []string{"f.yaml", "line 3", `unknown key "zkhost"`}},
		{"empty notify command", "zkhosts: a:1\nprefix: /s\nnotify: [\"\"]\n", []string{"line 3", `"notify"`, "empty"}},
		{"notify mapping", "zkhosts: a:1\nprefix: /s\nnotify: {a: b}\n", []string{`"notify"`, "list"}},
		{"notify_after beyond the history", "zkhosts: a:1\nprefix: /s\nhistory_runs: 5\nnotify_after: 6\n", []string{`"notify_after" (6)`, `"history_runs" (5)`}},
		{"notifiers a list", "zkhosts: a:1\nprefix: /s\nnotifiers: [a]\n", []string{"line 3", `"notifiers"`, "map"}},
		{"notifier bad name", "zkhosts: a:1\nprefix: /s\nnotifiers: {\"a b\": /x}\n", []string{`"notifiers"`, `"a b"`}},
		{"notifier empty command", "zkhosts: a:1\nprefix: /s\nnotifiers: {a: [\"\"]}\n", []string{`"notifiers"`, "empty"}},
		{"negative notify_repeat", "zkhosts: a:1\nprefix: /s\nnotify_repeat: -1h\n", []string{`"notify_repeat"`, "negative"}},
		{"notify_after zero", "zkhosts: a:1\nprefix: /s\nnotify_after: 0\n", []string{`"notify_after"`, "from 1"}},
		{"missing zkhosts", "prefix: /s\n", []string{`"zkhosts" is required`}},
		{"missing prefix", "zkhosts: a:1\n", []string{`"prefix" is required`}},
		{"chroot", "zkhosts: a:1/app\nprefix: /s\n", []string{"line 1", `"zkhosts"`, "chroot", "prefix"}},
		{"bad port", "zkhosts: a:99999\nprefix: /s\n", []string{`"zkhosts"`, "host:port"}},
		{"relative prefix", "zkhosts: a:1\nprefix: s\n", []string{`"prefix"`, "absolute"}},
		{"dotdot prefix", "zkhosts: a:1\nprefix: /a/../b\n", []string{`"prefix"`, "reserved"}},
		{"negative termination", "zkhosts: a:1\nprefix: /s\ntermination_timeout: -1\n", []string{"line 3", `"termination_timeout"`, "non-negative"}},
		{"wrong type", "zkhosts: a:1\nprefix: /s\ntermination_timeout: [1]\n", []string{`"termination_timeout"`, "single value"}},
		{"garbage duration", "zkhosts: a:1\nprefix: /s\nsession_timeout: soon\n", []string{`"session_timeout"`, `"soon"`}},
		{"session too short", "zkhosts: a:1\nprefix: /s\nsession_timeout: 10ms\n", []string{`"session_timeout"`, "between"}},
		{"YAML key twice", "zkhosts: a:1\nprefix: /s\nprefix: /t\n", []string{"line 3", "given twice"}},
		{"termination longer than session", "zkhosts: a:1\nprefix: /s\nsession_timeout: 4\ntermination_timeout: 6\n", []string{`"termination_timeout"`, "must not exceed"}},
		{"bad loglevel", "zkhosts: a:1\nprefix: /s\nloglevel: loud\n", []string{`"loglevel"`, `"loud"`}},
		{"logfile not string", "zkhosts: a:1\nprefix: /s\nlogfile: 12\n", []string{`"logfile"`, "string"}},
		{"bad hostname", "zkhosts: a:1\nprefix: /s\nhostname: a b\n", []string{`"hostname"`}},
		{"duplicate key", "zkhosts: a:1\nprefix: /s\nprefix: /t\n", []string{"line 3", "twice"}},
		{"bad cgroup", "zkhosts: a:1\nprefix: /s\ncgroup: yes\n", []string{"line 3", `"cgroup"`, `"auto"`, `"off"`, `"yes"`}},
		{"bad data_read_len", "zkhosts: a:1\nprefix: /s\ndata_read_len: lots\n", []string{`"data_read_len"`}},
		{"splay without a unit", "zkhosts: a:1\nprefix: /s\nsplay: 30\n", []string{"line 3", `"splay"`, "unit"}},
		{"negative splay", "zkhosts: a:1\nprefix: /s\nsplay: -2m\n", []string{`"splay"`, "negative"}},
		{"splay over an hour", "zkhosts: a:1\nprefix: /s\nsplay: 90m\n", []string{`"splay"`, "at most 1h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f.yaml", []byte(tt.input))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error", tt.input)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvVar {
				return v
			}
			return ""
		}
	}
	if p, _ := Find("/a.yaml", env("/b.yaml")); p != "/a.yaml" {
		t.Errorf("explicit path not preferred: %q", p)
	}
	if p, _ := Find("", env("/b.yaml")); p != "/b.yaml" {
		t.Errorf("env path not used: %q", p)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Load missing = %v", err)
	}
	zktest.WriteConfig(t, p, zktest.SwitchmanConfig{Hosts: "a:1", Prefix: "/p"})
	if c, err := Load(p); err != nil || c.Path != p {
		t.Fatalf("Load = %v, %v", c, err)
	}
}

func TestValidateNodeName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxNodeName+1)
	for _, bad := range []string{"", ".", "..", "a/b", "a\nb", "tab\there", "\x7f", long, "bad\xffutf8"} {
		if err := ValidateNodeName(bad); err == nil {
			t.Errorf("ValidateNodeName(%q) = nil, want error", bad)
		}
	}
	for _, good := range []string{"build-report", "a.b", "x_1", "отчёт", strings.Repeat("y", MaxNodeName)} {
		if err := ValidateNodeName(good); err != nil {
			t.Errorf("ValidateNodeName(%q) = %v", good, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := [][]byte{[]byte(`{"zkhosts":"a:1","prefix":"/s"}`), []byte("zkhosts: [a:1, b:2]\nprefix: /s\nsession_timeout: 3s\n"),
		[]byte("termination_timeout: -1")}
	parse := func(b []byte) (*Config, error) { return Parse("fuzz.yaml", b) }
	testenv.FuzzParser(f, seeds, parse, nil, func(t *testing.T, _ []byte, c *Config) {
		if len(c.ZKHosts) == 0 || c.Prefix == "" || c.TerminationTimeout > c.SessionTimeout {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}

func FuzzValidateNodeName(f *testing.F) {
	for _, s := range []string{"job", "..", "a/b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateNodeName(s) == nil && (s == "" || strings.ContainsAny(s, "/\x00\n") || len(s) > MaxNodeName) {
			t.Fatalf("accepted %q", s)
		}
	})
}
