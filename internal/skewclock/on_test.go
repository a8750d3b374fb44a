//go:build soakclock

package skewclock

import (
	"testing"
	"time"
)

func TestNowReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	now := Now(func(string) string { return "1h" })
	if now == nil || now().Sub(time.Now()) < 59*time.Minute {
		t.Errorf("a soakclock build does not shift its clock by %s=1h", EnvVar)
	}
}
