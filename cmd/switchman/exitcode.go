package main

import (
	"errors"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontabgen"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/lease"
	"github.com/acme/switchman/limits"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/metadata"
	"github.com/acme/switchman/notify"
	"github.com/acme/switchman/supervise"
)

// usageError marks a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error returned by a command to the process exit status
// (the statuses are package exitcode's). It is the only place that decides
// them: an exitcode.Error carries a status that is not switchman's to
// choose (the child's own, the configured skip status, 128+N, a Nagios
// check's state).
func exitCode(err error) int {
	var ee *exitcode.Error
	var ue usageError
	switch {
	case err == nil:
		return exitcode.OK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue), errors.Is(err, lease.ErrSpec), errors.Is(err, cmdline.ErrUsage),
		errors.Is(err, supervise.ErrLimits), errors.Is(err, limits.ErrInvalid):
		return exitcode.Usage
	case errors.As(err, new(*config.FileError)), errors.Is(err, config.ErrNoConfig):
		return exitcode.Config
	case errors.Is(err, supervise.ErrNotFound):
		return exitcode.NotFound
	case errors.Is(err, supervise.ErrNotExecutable):
		return exitcode.NotExec
	case errors.As(err, new(*config.DataError)), errors.Is(err, config.ErrUnknownGroup),
		errors.Is(err, lease.ErrUnknownResource), errors.As(err, new(*lock.TotalMismatchError)),
		errors.As(err, new(metadata.ErrorList)), errors.Is(err, metadata.ErrNoBlocks):
		return exitcode.DataErr
	case errors.Is(err, crontabgen.ErrOutOfDate), errors.Is(err, fleet.ErrNotHeld), errors.Is(err, errChecksFailed),
		errors.Is(err, notify.ErrNotDelivered):
		return exitcode.Failed
	case lock.IsAuth(err):
		return exitcode.NoPerm
	case errors.Is(err, lock.ErrUnreachable), errors.Is(err, lock.ErrNoPrefix), errors.Is(err, fleet.ErrOriginalHolder),
		errors.Is(err, job.ErrNoHelper):
		return exitcode.Unavailable
	case lock.IsLost(err):
		return exitcode.Lost
	case errors.Is(err, supervise.ErrTimeout):
		return exitcode.Timeout
	case errors.Is(err, lock.ErrWaitTimeout), errors.Is(err, fleet.ErrConflict):
		return exitcode.LeaseWait // EX_TEMPFAIL: retry later
	}
	return exitcode.Software
}

// exitStatuses documents switchman's exit statuses for its man page; the
// README's table has a row for each (a test checks).
var exitStatuses = []struct{ Status, Meaning string }{
	{"0", "the command exited 0; or the run was skipped: lock busy, host not in group (see `--skipped-exit-code`)"},
	{"1", "an operator command's \"no\": `crontab generate --check` found differences, `doctor` a failed check, `kill` nobody holding the lock, `notify test` a notify command that did not take the sample (a run passes its command's 1 through)"},
	{"1-125", "the command's own exit status, passed through"},
	{"64", "bad command line: flags, lock name, lease spec, an empty `--group`; a resource limit the kernel refused, or a memory, CPU or task cap this host cannot enforce (without `--limits-best-effort`): the command was not started"},
	{"65", "bad group data in ZooKeeper, unknown group or resource; `crontab generate`: a METADATA block it cannot turn into a cron line or a timer (one `file:line: message` each)"},
	{"69", "ZooKeeper unreachable (a run: within `start_deadline`; an operator's command: within `connect_timeout`), or the prefix znode missing; `kill`: the lock is held by the original tool, which no request reaches"},
	{"70", "internal error"},
	{"71", "permission lost while the command ran (lock lost, session expired or at risk, group moved, prefix deleted): the command was stopped. A group move is planned work and prints nothing (the log's FINISH line says `\"result\":\"moved\"`); every other cause prints one line"},
	{"75", "gave up waiting for leases or the lock (`resources_wait_timeout`, `--wait=D`), or `kill` for the holder to stop; for `groups` writes: a concurrent edit won (re-read and retry)"},
	{"77", "ZooKeeper refused this identity (NOAUTH): no or wrong `auth_file`, or the ACL does not allow it"},
	{"78", "bad config file"},
	{"124", "the command ran longer than `--timeout` and was stopped"},
	{"126", "the command is not executable"},
	{"127", "the command was not found"},
	{"128+N", "the command died of signal N; or switchman got stop signal N before the command started"},
}
