package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontabgen"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/job"
	"github.com/acme/switchman/lease"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/metadata"
	"github.com/acme/switchman/supervise"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitcode.OK},
		{"child status", &exitcode.Error{Code: 3}, 3},
		{"usage", usageError{errors.New("x")}, exitcode.Usage},
		{"config file", fmt.Errorf("x: %w", &config.FileError{Err: errors.New("f: bad")}), exitcode.Config},
		{"no config", fmt.Errorf("x: %w", config.ErrNoConfig), exitcode.Config},
		{"group data", &config.DataError{Err: errors.New("/p: not JSON")}, exitcode.DataErr},
		{"unknown group", fmt.Errorf("/p: %w", config.ErrUnknownGroup), exitcode.DataErr},
		{"lease spec", &lease.SpecError{Spec: "db=x", Err: errors.New("bad")}, exitcode.Usage},
		{"unknown resource", fmt.Errorf("/p: %w", lease.ErrUnknownResource), exitcode.DataErr},
		{"total mismatch", &lock.TotalMismatchError{Resource: "db"}, exitcode.DataErr},
		{"wait timeout", exitcode.Of(lock.ErrWaitTimeout, "gave up waiting for lock %s", "x"), exitcode.LeaseWait},
		{"groups conflict", fleet.ErrConflict, exitcode.LeaseWait},
		{"kill: not held", exitcode.Of(fleet.ErrNotHeld, "x: nobody holds the lock"), exitcode.Failed},
		{"kill: original holder", exitcode.Of(fleet.ErrOriginalHolder, "x is held by the original"), exitcode.Unavailable},
		{"auth", fmt.Errorf("x: %w", lock.ErrAuth), exitcode.NoPerm},
		{"not found", fmt.Errorf("x: %w", supervise.ErrNotFound), exitcode.NotFound},
		{"not executable", fmt.Errorf("x: %w", supervise.ErrNotExecutable), exitcode.NotExec},
		{"unreachable", fmt.Errorf("dial: %w", lock.ErrUnreachable), exitcode.Unavailable},
		{"no prefix", fmt.Errorf("x: %w", lock.ErrNoPrefix), exitcode.Unavailable},
		{"lock lost", lock.ErrLockLost, exitcode.Lost},
		{"session expired", lock.ErrSessionExpired, exitcode.Lost},
		{"at risk", &lock.AtRiskError{}, exitcode.Lost},
		{"not member", lock.ErrNotMember, exitcode.Lost},
		{"prefix deleted", lock.ErrPrefixDeleted, exitcode.Lost},
		{"group moved: silent, still lost", exitcode.Silent(fmt.Errorf("x: %w", lock.ErrNotMember)), exitcode.Lost},
		{"timeout", supervise.ErrTimeout, exitcode.Timeout},
		{"metadata errors", metadata.ErrorList{}, exitcode.DataErr},
		{"no metadata", metadata.ErrNoBlocks, exitcode.DataErr},
		{"out of date", fmt.Errorf("x: %w", crontabgen.ErrOutOfDate), exitcode.Failed},
		{"helper not installed", exitcode.Of(job.ErrNoHelper, "switchman-serve is not installed"), exitcode.Unavailable},
		{"doctor: a check failed", exitcode.Silent(errChecksFailed), exitcode.Failed},
		{"anything else", errors.New("boom"), exitcode.Software},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
