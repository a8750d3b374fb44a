package job

import (
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

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
