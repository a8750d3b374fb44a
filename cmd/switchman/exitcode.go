package main

import (
	"errors"
	"fmt"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontabgen"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lease"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/metadata"
	"github.com/acme/switchman/supervise"
)

// Exit codes of switchman's own outcomes. The child's own exit status passes
// through unchanged (128+N when it died of signal N); these codes are what
// switchman returns when it failed, or stopped the child, itself. They
// follow sysexits.h where one fits and leave 2 and 126-255 to shells and
// children. 1 is an operator command's own "no" (as diff(1) and kill(1)),
// never a run's. The README shows the same table (exitStatuses, tested).
const (
	ExitOK          = 0   // the child exited 0, or the run was skipped (busy lock, host not in group)
	ExitFailed      = 1   // an operator command's "no": crontab generate --check found differences, doctor a failed check, kill nobody holding the lock
	ExitUsage       = 64  // bad command line: flags, lock name, lease spec
	ExitDataErr     = 65  // bad group data in ZooKeeper, unknown group or resource
	ExitUnavailable = 69  // ZooKeeper unreachable, the prefix znode missing, or a holder no request can reach
	ExitSoftware    = 70  // internal error
	ExitLost        = 71  // permission lost while the child ran: lock lost, session expired or at risk, group moved
	ExitLeaseWait   = 75  // gave up waiting for leases or the lock (resources_wait_timeout, --wait), or for a kill
	ExitNoPerm      = 77  // ZooKeeper refused this identity (NOAUTH): no or wrong auth_file, or the ACL does not allow it
	ExitConfig      = 78  // bad config file
	ExitTimeout     = 124 // the child ran longer than --timeout and was stopped (as timeout(1))
	ExitNotExec     = 126 // the command is not executable (as a shell)
	ExitNotFound    = 127 // the command was not found (as a shell)
)

// ExitError carries an exit code. A nil Err means there is nothing to print:
// the code is the child's own status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// kinded is a message of switchman's own that exitCode maps by its kind, a
// sentinel error of a library; the message is printed without the
// sentinel's text.
type kinded struct {
	error
	kind error
}

func (k kinded) Unwrap() []error { return []error{k.error, k.kind} }

// errorOf returns the message (fmt.Errorf's format, %w allowed) as an
// error of kind.
func errorOf(kind error, format string, args ...any) error {
	return kinded{fmt.Errorf(format, args...), kind}
}

// usageError marks a bad command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error returned by a command to the process exit status.
// It is the only place that decides exit codes.
func exitCode(err error) int {
	var ee *ExitError
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue), errors.Is(err, lease.ErrSpec):
		return ExitUsage
	case errors.As(err, new(*config.FileError)), errors.Is(err, config.ErrNoConfig):
		return ExitConfig
	case errors.Is(err, supervise.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, supervise.ErrNotExecutable):
		return ExitNotExec
	case errors.As(err, new(*config.DataError)), errors.Is(err, config.ErrUnknownGroup),
		errors.Is(err, lease.ErrUnknownResource), errors.As(err, new(*lock.TotalMismatchError)),
		errors.As(err, new(metadata.ErrorList)), errors.Is(err, metadata.ErrNoBlocks):
		return ExitDataErr
	case errors.Is(err, crontabgen.ErrOutOfDate), errors.Is(err, fleet.ErrNotHeld):
		return ExitFailed
	case lock.IsAuth(err):
		return ExitNoPerm
	case errors.Is(err, lock.ErrUnreachable), errors.Is(err, lock.ErrNoPrefix), errors.Is(err, fleet.ErrOriginalHolder):
		return ExitUnavailable
	case errors.Is(err, lock.ErrLockLost), errors.Is(err, lock.ErrSessionExpired),
		errors.Is(err, lock.ErrSessionAtRisk), errors.Is(err, lock.ErrNotMember),
		errors.Is(err, lock.ErrPrefixDeleted):
		return ExitLost
	case errors.Is(err, supervise.ErrTimeout):
		return ExitTimeout
	case errors.Is(err, lock.ErrWaitTimeout), errors.Is(err, fleet.ErrConflict):
		return ExitLeaseWait // EX_TEMPFAIL: retry later
	}
	return ExitSoftware
}

// exitStatuses documents switchman's exit statuses for its man page; the
// README's table has a row for each (a test checks).
var exitStatuses = []struct{ Status, Meaning string }{
	{"0", "the command exited 0; or the run was skipped: lock busy, host not in group (see `--skipped-exit-code`)"},
	{"1", "an operator command's \"no\": `crontab generate --check` found differences, `doctor` a failed check, `kill` nobody holding the lock (a run passes its command's 1 through)"},
	{"1-125", "the command's own exit status, passed through"},
	{"64", "bad command line: flags, lock name, lease spec, an empty `--group`"},
	{"65", "bad group data in ZooKeeper, unknown group or resource; `crontab generate`: a METADATA block it cannot turn into a cron line or a timer (one `file:line: message` each)"},
	{"69", "ZooKeeper unreachable (within `connect_timeout`), or the prefix znode missing; `kill`: the lock is held by the original tool, which no request reaches"},
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
