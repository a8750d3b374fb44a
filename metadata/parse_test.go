package metadata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/golden"
)

// dump writes jobs and the error in a stable text form for golden files.
func dump(jobs []Job, err error) string {
	var b strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&b, "job %s:%d rel=%s\n", j.Path, j.Line, j.RelPath)
		field := func(name, v string) {
			if v != "" {
				fmt.Fprintf(&b, "  %s: %s\n", name, v)
			}
		}
		field("time", j.Time)
		field("package", j.Package)
		if j.Params != "" {
			fmt.Fprintf(&b, "  params: %s\n  words: %q\n", j.Params, j.Words)
		}
		field("group", j.Group)
		field("lockname", j.LockName)
		for _, l := range j.Leases {
			field("lease", l)
		}
		if j.NoLock {
			field("no_lock", "true")
		}
		field("timeout", j.Timeout)
		field("wait", j.Wait)
		field("user", j.User)
		for _, e := range j.Env {
			field("env", e)
		}
		if j.MailTo != nil {
			fmt.Fprintf(&b, "  mailto: %q\n", *j.MailTo)
		}
		field("comment", j.Comment)
		for _, l := range j.Limits {
			field("limit", l.Flag+"="+l.Value)
		}
		if j.LimitsBestEffort {
			field("limits_best_effort", "true")
		}
	}
	if err != nil {
		fmt.Fprintf(&b, "error:\n%s\n", err)
	}
	if b.Len() == 0 {
		return "no jobs\n"
	}
	return b.String()
}

func TestParseGolden(t *testing.T) {
	t.Parallel()
	golden.Each(t, filepath.Join("testdata", "parse", "*"), func(t *testing.T, in string) {
		name := filepath.Base(in)
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := Parse(name, data)
		if err != nil {
			var el ErrorList
			if !errors.As(err, &el) {
				t.Fatalf("error %T is not an ErrorList", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, name+":") {
					t.Errorf("error line %q does not start with %q", line, name+":")
				}
			}
		}
		if strings.HasPrefix(name, "err-") != (err != nil) {
			t.Errorf("err-* files must fail and others must not; got %v", err)
		}
		golden.Check(t, filepath.Join("testdata", "golden", name+".golden"), dump(jobs, err))
	})
}

func TestLineOf(t *testing.T) {
	t.Parallel()
	jobs, err := Parse("x.sh", []byte("# <crontab>\n#  time: @daily\n#  package: p\n# </crontab>\n"))
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Parse = %v, %v", jobs, err)
	}
	if got := jobs[0].LineOf("package"); got != 3 {
		t.Errorf("LineOf(package) = %d, want 3", got)
	}
	if got := jobs[0].LineOf("group"); got != 1 {
		t.Errorf("LineOf(group) = %d, want the block's line 1", got)
	}
}

func TestCheckLockName(t *testing.T) {
	t.Parallel()
	good := []string{"shard.pl", "shard.pl-mod-2-rem-0", "a b"[:1], strings.Repeat("x", MaxLockName), "job(1)"}
	for _, n := range good {
		if err := CheckLockName(n); err != nil {
			t.Errorf("CheckLockName(%q) = %v, want nil", n, err)
		}
	}
	bad := []string{"", ".", "..", "a/b", strings.Repeat("x", MaxLockName+1), "a b", "a\x00b", "$(hostname)", "a\tb"}
	for _, n := range bad {
		if err := CheckLockName(n); err == nil {
			t.Errorf("CheckLockName(%q) = nil, want an error", n)
		}
	}
}
