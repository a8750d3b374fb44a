package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontabgen"
	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/fleet"
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
		{"timeout", supervise.ErrTimeout, exitcode.Timeout},
		{"metadata errors", metadata.ErrorList{}, exitcode.DataErr},
		{"no metadata", metadata.ErrNoBlocks, exitcode.DataErr},
		{"out of date", fmt.Errorf("x: %w", crontabgen.ErrOutOfDate), exitcode.Failed},
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

// TestPauseGC checks the start-up pause of the garbage collector: off at
// once, back to its setting after the pause, and untouched when the
// operator set GOGC.
func TestPauseGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	gogc := func() int64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return int64(s[0].Value.Uint64())
	}
	pauseGC(func(string) string { return "" }, 50*time.Millisecond)
	if got := gogc(); got != -1 && got != 0 {
		// runtime/metrics reports "off" as 0 (it is unsigned).
		t.Fatalf("GOGC during the pause = %d, want off", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for gogc() != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC still %d long after the pause", gogc())
		}
		time.Sleep(10 * time.Millisecond)
	}
	debug.SetGCPercent(77)
	pauseGC(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	}, time.Millisecond)
	if got := gogc(); got != 77 {
		t.Errorf("with GOGC set, GOGC = %d, want the operator's 77 untouched", got)
	}
}
