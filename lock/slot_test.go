package lock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// claimFor returns a fresh claim of slot after reading the register, as a
// run does.
func claimFor(t *testing.T, sl *Slots, slot string, prune int) *SlotClaim {
	t.Helper()
	reg, err := sl.Read()
	if err != nil {
		t.Fatal(err)
	}
	c := &SlotClaim{Slot: slot, Data: []byte(`{}`), Found: reg.Found, Record: []byte(`{"schedule":"* * * * *"}`)}
	if prune > 0 && len(reg.Claimed) >= prune {
		c.Prune = reg.Claimed[:len(reg.Claimed)+1-prune]
	}
	return c
}

// TestAcquireSlotOnce: sessions racing for one slot on a fresh prefix
// (no layout, no register) take it once; after the winner has finished
// and left, the lock is free but the slot stays claimed.
func TestAcquireSlotOnce(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{}}`)
	const n = 5
	type result struct {
		s   *Session
		h   *Held
		err error
	}
	results := make(chan result, n)
	for range n {
		s := dial(t, srv.Addr)
		go func() {
			sl := NewSlots(s, "/sw", "job")
			h, err := NewMutex(s, "/sw", "job").AcquireSlot(context.Background(), Info{Host: "h"}, sl,
				claimFor(t, sl, "20261206T180000Z", 0), nil)
			results <- result{s, h, err}
		}()
	}
	var winner *Session
	for range n {
		select {
		case r := <-results:
			var busy *BusyError
			switch {
			case r.err == nil:
				if winner != nil {
					t.Fatal("two sessions took the slot")
				}
				winner = r.s
			case errors.As(r.err, &busy), errors.Is(r.err, ErrSlotClaimed):
			default:
				t.Fatalf("unexpected error: %v", r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("acquisitions did not return")
		}
	}
	if winner == nil {
		t.Fatal("nobody took the slot")
	}
	winner.Close() // the run finished: its lock goes, its claim stays
	late := dial(t, srv.Addr)
	sl := NewSlots(late, "/sw", "job")
	c := claimFor(t, sl, "20261206T180000Z", 0)
	if _, err := NewMutex(late, "/sw", "job").AcquireSlot(context.Background(), Info{Host: "h2"}, sl, c, nil); !errors.Is(err, ErrSlotClaimed) {
		t.Fatalf("late run of a finished slot: %v, want ErrSlotClaimed", err)
	}
	if b, _, _ := admin.conn.Get("/sw/slots/job"); string(b) != `{"schedule":"* * * * *"}` {
		t.Fatalf("register data %q: the schedule record was not created with it", b)
	}
}

// TestAcquireSlotPrunes: a register keeps the last few claims, pruned in
// the winning multi, and a claim pruned meanwhile does not fail the claim.
func TestAcquireSlotPrunes(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{}}`)
	const keep = 3
	for i := range 6 {
		s := dial(t, srv.Addr)
		sl := NewSlots(s, "/sw", "job")
		c := claimFor(t, sl, fmt.Sprintf("20261206T18%02d00Z", i), keep)
		if i == 4 {
			// Another run pruned one of ours after our read.
			if err := admin.conn.Delete("/sw/slots/job/"+c.Prune[0], -1); err != nil {
				t.Fatal(err)
			}
		}
		h, err := NewMutex(s, "/sw", "job").AcquireSlot(context.Background(), Info{Host: "h"}, sl, c, nil)
		if err != nil || h == nil {
			t.Fatalf("slot %d: %v", i, err)
		}
		s.Close()
	}
	kids, _, err := admin.conn.Children("/sw/slots/job")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(kids)
	if want := []string{"20261206T180300Z", "20261206T180400Z", "20261206T180500Z"}; !slices.Equal(kids, want) {
		t.Fatalf("claims kept %q, want %q", kids, want)
	}
}

// failingRider's create always fails: it gives up at once.
type failingRider struct{ asked int }

func (r *failingRider) Ops(acl []zk.ACL) []any {
	return []any{&zk.CreateRequest{Path: "/sw", Acl: acl}} // exists
}

func (r *failingRider) Failed(error) bool { r.asked++; return false }

// TestAcquireSlotRiderGivesUp: a rider that fails is dropped, the claim
// is kept, and Held.Rode says the rider did not commit.
func TestAcquireSlotRiderGivesUp(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	sl := NewSlots(s, "/sw", "job")
	r := &failingRider{}
	h, err := NewMutex(s, "/sw", "job").AcquireSlot(context.Background(), Info{Host: "h"}, sl, claimFor(t, sl, "20261206T180000Z", 0), r)
	if err != nil {
		t.Fatal(err)
	}
	if h.Rode || r.asked == 0 {
		t.Fatalf("Rode=%v asked=%d: want the failing rider asked and dropped", h.Rode, r.asked)
	}
	if ok, _, _ := s.conn.Exists("/sw/slots/job/20261206T180000Z"); !ok {
		t.Fatal("the claim did not commit with the lock")
	}
}

// TestSlotsClaimAlone: a run that holds the lock already claims its slot
// once; a second claim of it fails with ErrSlotClaimed.
func TestSlotsClaimAlone(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	sl := NewSlots(s, "/sw", "job")
	if err := sl.Claim(claimFor(t, sl, "20261206T180000Z", 0)); err != nil {
		t.Fatal(err)
	}
	if err := sl.Claim(claimFor(t, sl, "20261206T180000Z", 0)); !errors.Is(err, ErrSlotClaimed) {
		t.Fatalf("second claim: %v, want ErrSlotClaimed", err)
	}
	// A stale read (the register not found) still ends in ErrSlotClaimed.
	if err := sl.Claim(&SlotClaim{Slot: "20261206T180000Z"}); !errors.Is(err, ErrSlotClaimed) {
		t.Fatalf("claim from a stale read: %v, want ErrSlotClaimed", err)
	}
}
