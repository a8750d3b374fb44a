// Package dashboard is switchman's read-only web view of a fleet: a page
// and a JSON API over one prefix, showing every job with where it runs now,
// its last result and duration, halted and paused jobs, per job a timeline
// of its runs across hosts and a duration chart against its expected
// duration, the failures with their kept output, and the hosts with their
// heartbeats. It follows ZooKeeper watches, so the view is live.
//
// It links net/http and embeds its assets; only the switchman-serve helper
// imports it, never the binary cron runs.
package dashboard
