package crontab

import (
	"errors"
	"fmt"
)

// ErrSchedule matches (errors.Is) every error that ParseSchedule and
// ParseField return, so callers can tell a bad time specification from other
// failures. The errors' own text is only the precise message, without this
// prefix, because callers put it after a file:line; so for ErrShell and
// ErrLine.
var ErrSchedule = errors.New("crontab: invalid schedule")

// ErrNoCalendar matches (errors.Is) the errors of Schedule.OnCalendar: a
// valid schedule that no systemd calendar event expresses exactly.
var ErrNoCalendar = errors.New("crontab: no equivalent calendar event")

// ErrShell matches (errors.Is) every error of SplitParams, Quote and
// EscapePercent: text that cron's /bin/sh would not run as written.
var ErrShell = errors.New("crontab: unsafe shell text")

// ErrLine matches (errors.Is) every error of ParseLine.
var ErrLine = errors.New("crontab: invalid line")

// kindError is a precise message that matches its kind, one of the
// sentinels.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// errorf returns a kindError of kind with a formatted message.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func schedErr(format string, args ...any) error { return errorf(ErrSchedule, format, args...) }

func shellErr(format string, args ...any) error { return errorf(ErrShell, format, args...) }
