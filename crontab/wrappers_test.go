package crontab

import (
	"testing"
)

func TestWrappers(t *testing.T) {
	t.Parallel()
	file := `# a comment
MAILTO=ops@example.com
30 3 * * * app /usr/bin/switchman -g reports --schedule '30 3 * * *' --catch-up 26h -- /usr/bin/report --day
*/5 * * * * app nice switchman --lockname five -- /bin/true
0 4 * * * app /usr/bin/switchman --no-such-flag -- /bin/true
0 5 * * * app /usr/bin/switchman status
0 6 * * * app /usr/bin/other
0 7 * * * /usr/bin/switchman -- missing-user-field
`
	got := Wrappers("/etc/cron.d/jobs", []byte(file), FormatAuto)
	type row struct {
		line                 int
		user, sched, lock    string
		catchUp, scheduleOpt string
	}
	want := []row{
		{3, "app", "30 3 * * *", "report", "26h0m0s", "30 3 * * *"},
		{4, "app", "*/5 * * * *", "five", "0s", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d wrappers %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		r := row{g.Line, g.User, g.Schedule, g.Options.LockName, g.Options.CatchUp.String(), g.Options.Schedule}
		if r != w {
			t.Errorf("wrapper %d: %+v, want %+v", i, r, w)
		}
	}
}
