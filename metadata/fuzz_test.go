package metadata

import (
	"strings"
	"testing"

	"github.com/acme/switchman/crontab"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("# <crontab>\n#   time: */2 * * * *\n#   params: --mod 2\n# </crontab>\n"))
	f.Add([]byte("=head1 METADATA\n\n    <crontab>\n        time: @daily\n    </crontab>\n\n=cut\n"))
	f.Add([]byte("// <crontab>\n// time: 61 * * * *\n// <crontab>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		jobs, err := Parse("f.sh", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.sh:") || len(line) <= len("f.sh:") {
					t.Fatalf("error line %q is not file:line: message", line)
				}
			}
		}
		for _, j := range jobs {
			if _, err := crontab.ParseSchedule(j.Time); err != nil {
				t.Fatalf("job with invalid time %q", j.Time)
			}
			if j.Params != "" {
				if _, err := crontab.EscapePercent(j.Params); err != nil {
					t.Fatalf("job with params cron cannot carry: %q", j.Params)
				}
			}
			if j.LockName != "" && CheckLockName(j.LockName) != nil {
				t.Fatalf("job with invalid lock name %q", j.LockName)
			}
		}
	})
}
