package lock

import (
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// TestClaimStartOnce: many sessions claiming a start at once, within the
// interval: exactly one may start.
func TestClaimStartOnce(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{}}`)
	const n = 6
	sessions := make([]*Session, n)
	for i := range sessions {
		sessions[i] = dial(t, srv.Addr)
	}
	wins := make(chan bool, n)
	for _, s := range sessions {
		go func() {
			ok, _, err := NewStartClaim(s, "/sw", "job").Claim(time.Hour)
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	won := 0
	for range n {
		select {
		case ok := <-wins:
			if ok {
				won++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("claims did not return")
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won, want exactly 1", won)
	}
	if ok, since, _ := NewStartClaim(admin, "/sw", "job").Claim(time.Hour); ok || since <= 0 || since > time.Minute {
		t.Fatalf("claim within the interval: ok=%v since=%s", ok, since)
	}
}
