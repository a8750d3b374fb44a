// Package crontab reads crontab syntax the way cron and its /bin/sh do:
// schedules (five time fields or an @keyword; Compile makes a Schedule
// that computes firing times and its systemd calendar event), lines of
// crontabs and cron.d files (with and without the user field), cron's %
// handling, and the shell words of a command. It also checks the switchman invocations found
// in crontab files (Report), for the Nagios-style `switchman crontab check`.
//
// The generator uses the same rules in the other direction: SplitParams
// refuses METADATA params that sh would do more with than split into
// words, Quote writes one generated value as one sh word, and
// EscapePercent escapes % so cron passes it through.
package crontab
