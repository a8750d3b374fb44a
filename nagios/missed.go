package nagios

import (
	"fmt"
	"time"
)

// Missed is CRITICAL when a scheduled job's last due slot ran nowhere
// (late: its slot, by lock name), WARNING when a job's schedule record
// could not be read (bad), OK otherwise; jobs is how many scheduled jobs
// were looked at.
func Missed(late map[string]time.Time, bad map[string]error, jobs int) Result {
	var missed, unreadable []string
	for name, at := range late {
		missed = append(missed, fmt.Sprintf("%s missed its slot of %s", name, at.UTC().Format(time.RFC3339)))
	}
	for name, err := range bad {
		unreadable = append(unreadable, fmt.Sprintf("%s: %v", name, err))
	}
	r := Result{Service: "SWITCHMAN MISSED",
		Perf: []string{fmt.Sprintf("missed=%d;;1;0", len(missed)), fmt.Sprintf("scheduled=%d;;;0", jobs)}}
	switch {
	case len(missed) > 0:
		r.State, r.Text = Critical, fmt.Sprintf("%d jobs missed their last slot: %s", len(missed), listing(append(missed, unreadable...)))
	case len(unreadable) > 0:
		r.State, r.Text = Warning, fmt.Sprintf("%d schedule records unreadable: %s", len(unreadable), listing(unreadable))
	default:
		r.Text = fmt.Sprintf("%d scheduled jobs, none missed its last slot", jobs)
	}
	return r
}
