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
		{"nil", nil, ExitOK},
		{"child status", &ExitError{Code: 3}, 3},
		{"usage", usageError{errors.New("x")}, ExitUsage},
		{"config file", fmt.Errorf("x: %w", &config.FileError{Err: errors.New("f: bad")}), ExitConfig},
		{"no config", fmt.Errorf("x: %w", config.ErrNoConfig), ExitConfig},
		{"group data", &config.DataError{Err: errors.New("/p: not JSON")}, ExitDataErr},
		{"unknown group", fmt.Errorf("/p: %w", config.ErrUnknownGroup), ExitDataErr},
		{"lease spec", &lease.SpecError{Spec: "db=x", Err: errors.New("bad")}, ExitUsage},
		{"unknown resource", fmt.Errorf("/p: %w", lease.ErrUnknownResource), ExitDataErr},
		{"total mismatch", &lock.TotalMismatchError{Resource: "db"}, ExitDataErr},
		{"wait timeout", errorOf(lock.ErrWaitTimeout, "gave up waiting for lock %s", "x"), ExitLeaseWait},
		{"groups conflict", fleet.ErrConflict, ExitLeaseWait},
		{"kill: not held", errorOf(fleet.ErrNotHeld, "x: nobody holds the lock"), ExitFailed},
		{"kill: original holder", errorOf(fleet.ErrOriginalHolder, "x is held by the original"), ExitUnavailable},
		{"auth", fmt.Errorf("x: %w", lock.ErrAuth), ExitNoPerm},
		{"not found", fmt.Errorf("x: %w", supervise.ErrNotFound), ExitNotFound},
		{"not executable", fmt.Errorf("x: %w", supervise.ErrNotExecutable), ExitNotExec},
		{"unreachable", fmt.Errorf("dial: %w", lock.ErrUnreachable), ExitUnavailable},
		{"no prefix", fmt.Errorf("x: %w", lock.ErrNoPrefix), ExitUnavailable},
		{"lock lost", lock.ErrLockLost, ExitLost},
		{"session expired", lock.ErrSessionExpired, ExitLost},
		{"at risk", &lock.AtRiskError{}, ExitLost},
		{"not member", lock.ErrNotMember, ExitLost},
		{"prefix deleted", lock.ErrPrefixDeleted, ExitLost},
		{"timeout", supervise.ErrTimeout, ExitTimeout},
		{"metadata errors", metadata.ErrorList{}, ExitDataErr},
		{"no metadata", metadata.ErrNoBlocks, ExitDataErr},
		{"out of date", fmt.Errorf("x: %w", crontabgen.ErrOutOfDate), ExitFailed},
		{"anything else", errors.New("boom"), ExitSoftware},
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
