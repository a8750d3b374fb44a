package crontabgen

import "strings"

// CatchUpSchedule is when a cron.d file's catch-up entry runs, besides at
// boot: every five minutes, two minutes past the multiples of five. A slot
// is missed from its skew after it (60 s by default), so a */5 or hourly
// slot that no host ran is caught up two minutes later; and the catch-up's
// ZooKeeper session stays off the minutes where */5, hourly and daily
// jobs all connect at once.
const CatchUpSchedule = "2-59/5 * * * *"

// catchUpUsers are the users whose catch-up entry a cron.d file carries:
// each user of a job with catch_up, in line order, since `switchman
// catch-up` runs only the lines of the user it runs as. A file with jobs
// that have a slot (locked, not @reboot) but none with catch_up still
// gets one entry, as the generator's user: the catch-up records their
// schedules, so that `check missed` and `status` know the jobs even when
// no host ever ran them. A file without such jobs gets none.
func catchUpUsers(entries []Entry, user string) []string {
	var users []string
	slotted := false
	for i := range entries {
		j := &entries[i].Job
		if j.NoLock || j.Time == "@reboot" {
			continue
		}
		slotted = true
		if j.CatchUp != "" && !contains(users, j.User) {
			users = append(users, j.User)
		}
	}
	if slotted && len(users) == 0 {
		users = []string{user}
	}
	return users
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// catchUpLines renders the file's catch-up entry: for each user, a line at
// @reboot (slots missed while the box was down) and one at
// CatchUpSchedule (cron dead meanwhile, ZooKeeper unreachable at the
// minute, a standby chain that ran out), each catching up the lines of
// this file only (/etc/cron.d/PACKAGE), so that the files of several
// packages never catch up each other's lines twice.
func (f *File) catchUpLines() string {
	if len(f.catchUp) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n# Catch-up: runs once, later, the latest slot of a catch_up job that no host\n")
	b.WriteString("# ran (box down, cron dead, ZooKeeper unreachable); records every job's schedule.\n")
	for _, u := range f.catchUp {
		for _, when := range []string{"@reboot", CatchUpSchedule} {
			b.WriteString(when + " " + u + " " + f.switchman + " catch-up " + f.Package + "\n")
		}
	}
	return b.String()
}
