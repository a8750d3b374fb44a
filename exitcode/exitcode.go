// Package exitcode holds switchman's exit statuses and the error that
// carries one. The child's own exit status passes through unchanged
// (128+N when it died of signal N); the constants are what switchman
// returns when it failed, or stopped the child, itself. They follow
// sysexits.h where one fits and leave 2 and 126-255 to shells and children.
// 1 is an operator command's own "no" (as diff(1) and kill(1)), never a
// run's.
//
// The package decides nothing: which error gets which status is one
// function in cmd/switchman. It imports nothing of switchman's, so every
// package can return an Error.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit statuses. The README shows the same table.
const (
	OK          = 0   // the child exited 0, or the run was skipped (busy lock, host not in group)
	Failed      = 1   // an operator command's "no": crontab generate --check found differences, doctor a failed check, kill nobody holding the lock
	Usage       = 64  // bad command line: flags, lock name, lease spec
	DataErr     = 65  // bad group data in ZooKeeper, unknown group or resource
	Unavailable = 69  // ZooKeeper unreachable, the prefix znode missing, or a holder no request can reach
	Software    = 70  // internal error
	Lost        = 71  // permission lost while the child ran: lock lost, session expired or at risk, group moved
	LeaseWait   = 75  // gave up waiting for leases or the lock (resources_wait_timeout, --wait), or for a kill
	NoPerm      = 77  // ZooKeeper refused this identity (NOAUTH): no or wrong auth_file, or the ACL does not allow it
	Config      = 78  // bad config file
	Timeout     = 124 // the child ran longer than --timeout and was stopped (as timeout(1))
	NotExec     = 126 // the command is not executable (as a shell)
	NotFound    = 127 // the command was not found (as a shell)
)

// Error carries an exit status that is not switchman's to choose: the
// child's own, the configured skip status, 128+N for a stop signal, a
// Nagios check's state. A nil
// Err means there is nothing to print.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// kinded is a message that the exit status mapping reads by its kind, a
// sentinel error of a library; the message is printed without the
// sentinel's text.
type kinded struct {
	error
	kind error
}

func (k kinded) Unwrap() []error { return []error{k.error, k.kind} }

// Of returns the message (fmt.Errorf's format, %w allowed) as an error of
// kind: errors.Is(err, kind) holds, and Error() is the message alone.
func Of(kind error, format string, args ...any) error {
	return kinded{fmt.Errorf(format, args...), kind}
}

// silent is an error that is mapped by what it wraps but printed by no one.
type silent struct{ error }

func (s silent) Unwrap() error { return s.error }

// Silent marks err as planned work that cron must not mail (a group move):
// its exit status is err's, and IsSilent tells the printer to say nothing.
func Silent(err error) error { return silent{err} }

// IsSilent reports whether err, or an error it wraps, says nothing: an
// Error without a message, or a Silent one.
func IsSilent(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.Err == nil {
		return true
	}
	return errors.As(err, new(silent))
}
