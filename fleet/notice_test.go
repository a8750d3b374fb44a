package fleet

import (
	"sync"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// TestClaimNotice: of several sessions that notice the same event at
// once, one claims it; a key claimed once is claimed never again; a
// finish that comes after keeps the notices; a job without a history
// gets one.
func TestClaimNotice(t *testing.T) {
	srv := zktest.Start(t)
	stores := make([]*Store, 4)
	for i := range stores {
		stores[i] = store(t, srv.Addr, "/sw", `{"groups":{}}`)
	}
	// Each claims "overdue 42" unless it is claimed already.
	due := func(_ []PastRun, notices []Notice) *Notice {
		if Claimed(notices, "overdue", "42") {
			return nil
		}
		return &Notice{Event: "overdue", Key: "42", Time: time.Now().UTC(), Host: "h"}
	}
	for round := range 3 {
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for _, s := range stores {
			wg.Go(func() {
				n, _, err := s.ClaimNotice("job", due)
				if err != nil {
					t.Error(err)
				}
				if n != nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if want := map[bool]int{true: 1, false: 0}[round == 0]; won != want {
			t.Fatalf("round %d: %d claims, want %d", round, won, want)
		}
	}
	// A finish extends the history and keeps the notice.
	r := recorder(stores[0], "job", t.TempDir(), RecorderOptions{})
	r.Start(nil, 1)
	r.Finish(End{PID: 1, Result: ResultFailure})
	notices, err := stores[1].Notices("job")
	if err != nil || len(notices) != 1 || notices[0].Key != "42" {
		t.Fatalf("notices after a finish: %+v, %v", notices, err)
	}
	runs, _ := stores[1].RunHistory("job")
	if len(runs) != 1 {
		t.Errorf("history has %d runs after the notice and one finish, want 1", len(runs))
	}
	// Only the newest notices are kept.
	for i := range noticesKept + 3 {
		if _, _, err := stores[2].ClaimNotice("job", func([]PastRun, []Notice) *Notice {
			return &Notice{Event: "missed", Key: string(rune('a' + i))}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if notices, _ = stores[1].Notices("job"); len(notices) != noticesKept || notices[len(notices)-1].Key != string(rune('a'+noticesKept+2)) {
		t.Errorf("kept %d notices ending %+v, want the newest %d", len(notices), notices[len(notices)-1], noticesKept)
	}
}
