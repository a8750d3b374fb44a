package lock

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
)

// SlotsDir holds, per job, its slot register: PREFIX/slots/NAME, whose
// data records the job's schedule and whose persistent children are its
// claimed slots, one node per slot, named by the slot.
const SlotsDir = "slots"

// ErrSlotClaimed means that the run's slot is claimed already: another run
// has it, running or finished.
var ErrSlotClaimed = errors.New("lock: slot already claimed")

// Slots is the slot register of one job, PREFIX/slots/NAME, bound to its
// prefix and name when made.
type Slots struct {
	s            *Session
	prefix, name string
	dir          string
}

// NewSlots returns the slot register of job name under prefix on session
// s. It sends nothing.
func NewSlots(s *Session, prefix, name string) *Slots {
	return &Slots{s: s, prefix: prefix, name: name, dir: path.Join(prefix, SlotsDir, name)}
}

// Dir returns the register's path.
func (sl *Slots) Dir() string { return sl.dir }

// Register is what Read found of a job's slot register.
type Register struct {
	// Found says that the register exists.
	Found bool
	// Data is its data: the schedule record.
	Data []byte
	// Claimed are the names of its claimed slots, sorted.
	Claimed []string
	// Created is when the register was made: when the job's schedule
	// was first recorded.
	Created time.Time
}

// Read reads the register's data and its children. The two requests go
// out together, so they cost one round trip, and can travel with a run's
// other reads. A missing register is Found false, with no error.
func (sl *Slots) Read() (*Register, error) {
	r := &Register{Found: true}
	var dataErr, kidsErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		dataErr = sl.s.conn.Retry(context.Background(), func() (err error) {
			var st *zk.Stat
			if r.Data, st, err = sl.s.conn.Get(sl.dir); err == nil {
				r.Created = time.UnixMilli(st.Ctime).UTC()
			}
			return err
		})
	})
	wg.Go(func() {
		kidsErr = sl.s.conn.Retry(context.Background(), func() (err error) {
			r.Claimed, _, err = sl.s.conn.Children(sl.dir)
			return err
		})
	})
	wg.Wait()
	if errors.Is(dataErr, zk.ErrNoNode) || errors.Is(kidsErr, zk.ErrNoNode) {
		return &Register{}, nil
	}
	if err := errors.Join(dataErr, kidsErr); err != nil {
		return nil, fmt.Errorf("read %s: %w", sl.dir, znode.AuthErr(err))
	}
	slices.Sort(r.Claimed)
	return r, nil
}

// SlotClaim is the claim of one slot: the writes that commit with the
// lock's create (Mutex.AcquireSlot) or after it (Slots.Claim).
type SlotClaim struct {
	// Slot is the slot's name, Data its node's content.
	Slot string
	Data []byte
	// Record is the register's data to write with the claim (the job's
	// schedule), nil to leave it as it is.
	Record []byte
	// Prune names older claims to delete with this one, so that the
	// register stays bounded.
	Prune []string
	// Found says that the register exists (Register.Found): when it does
	// not, the claim creates it.
	Found bool

	madeSlots bool // PREFIX/slots was created after a failed claim
}

// ops returns the claim's requests: the register's create or its record's
// set, the slot's create, the prunes' deletes.
func (sl *Slots) ops(c *SlotClaim, acl []zk.ACL) []any {
	var ops []any
	switch {
	case !c.Found:
		ops = append(ops, &zk.CreateRequest{Path: sl.dir, Data: c.Record, Acl: acl})
	case c.Record != nil:
		ops = append(ops, &zk.SetDataRequest{Path: sl.dir, Data: c.Record, Version: -1})
	}
	ops = append(ops, &zk.CreateRequest{Path: path.Join(sl.dir, c.Slot), Data: c.Data, Acl: acl})
	for _, p := range c.Prune {
		ops = append(ops, &zk.DeleteRequest{Path: path.Join(sl.dir, p), Version: -1})
	}
	return ops
}

// refresh reads the register again after a multi with c failed, and
// adjusts c to what it finds. It returns ErrSlotClaimed when the slot was
// claimed meanwhile, and reports whether c changed, i.e. whether the
// failure may have been the claim's own.
func (sl *Slots) refresh(c *SlotClaim) (bool, error) {
	reg, err := sl.Read()
	if err != nil {
		return false, err
	}
	if slices.Contains(reg.Claimed, c.Slot) {
		return false, fmt.Errorf("%s/%s: %w", sl.dir, c.Slot, ErrSlotClaimed)
	}
	changed := reg.Found != c.Found
	c.Found = reg.Found
	kept := slices.DeleteFunc(slices.Clone(c.Prune), func(p string) bool { return !slices.Contains(reg.Claimed, p) })
	if len(kept) != len(c.Prune) {
		c.Prune, changed = kept, true
	}
	if !reg.Found && !changed && !c.madeSlots {
		// Creating the register failed: PREFIX/slots itself is missing.
		// It is made once per prefix, outside the multi; never the prefix.
		c.madeSlots, changed = true, true
		if err := sl.s.conn.EnsureNode(path.Dir(sl.dir)); err != nil {
			if errors.Is(err, zk.ErrNoNode) {
				return false, znode.NoPrefix(sl.prefix)
			}
			return false, err
		}
	}
	return changed, nil
}

// Claim claims c's slot on its own, for a run that holds the job's lock
// already (one that waited for it or for leases): one multi, and a read
// and another try when it fails. It returns an error wrapping
// ErrSlotClaimed when another run has the slot.
func (sl *Slots) Claim(c *SlotClaim) error {
	for attempt := 0; ; attempt++ {
		_, err := sl.s.conn.Multi(sl.ops(c, sl.s.conn.ACL())...)
		if err == nil {
			return nil
		}
		if attempt == 3 || !errors.Is(err, zk.ErrNodeExists) && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("claim slot %s/%s: %w", sl.dir, c.Slot, znode.AuthErr(err))
		}
		changed, rerr := sl.refresh(c)
		if rerr != nil {
			return rerr
		}
		if !changed {
			return fmt.Errorf("claim slot %s/%s: %w", sl.dir, c.Slot, err)
		}
	}
}

// AcquireSlot takes the lock at once, as AcquireWith does, and claims c's
// slot in the same multi: the lock is taken with the claim or not at all.
// It returns an error wrapping ErrSlotClaimed when another run claimed
// the slot meanwhile (a *BusyError when it still holds the lock). rider,
// when not nil, rides along as in AcquireWith, and Held.Rode says whether
// it committed; a rider that gives up leaves the claim in place.
func (m *Mutex) AcquireSlot(ctx context.Context, info Info, sl *Slots, c *SlotClaim, rider Rider) (*Held, error) {
	sr := &slotRider{m: m, sl: sl, c: c, inner: rider}
	h, err := m.AcquireWith(ctx, info, sr)
	if h != nil {
		h.Rode = h.Rode && sr.inner != nil
	}
	return h, err
}

// slotRider is a slot claim as a Rider the lock is never taken without:
// when it gives up, AcquireWith returns its refusal instead of taking the
// lock bare.
type slotRider struct {
	m      *Mutex
	sl     *Slots
	c      *SlotClaim
	inner  Rider
	layout bool
	tries  int
	err    error
}

// Ops implements Rider.
func (r *slotRider) Ops(acl []zk.ACL) []any {
	ops := r.sl.ops(r.c, acl)
	if r.inner != nil {
		ops = append(ops, r.inner.Ops(acl)...)
	}
	return ops
}

// Failed implements Rider: the claim is checked first (claimed meanwhile:
// refuse; its register or a pruned claim changed: adjust), then the inner
// rider is asked (dropped when it gives up), then the lock's own layout
// is made.
func (r *slotRider) Failed(err error) bool {
	if r.tries++; r.tries > 6 {
		r.err = fmt.Errorf("claim slot %s/%s: %w", r.sl.dir, r.c.Slot, err)
		return false
	}
	changed, rerr := r.sl.refresh(r.c)
	switch {
	case rerr != nil:
		r.err = rerr
		return false
	case changed:
		return true
	case r.inner != nil:
		if !r.inner.Failed(err) {
			r.inner = nil
		}
		return true
	case !r.layout:
		r.layout = true
		if lerr := r.m.s.ensureLayout(r.m.prefix); lerr != nil {
			r.err = lerr
			return false
		}
		return true
	}
	r.err = fmt.Errorf("claim slot %s/%s: %w", r.sl.dir, r.c.Slot, err)
	return false
}

// refusal is why the rider gave up, nil while it has not.
func (r *slotRider) refusal() error { return r.err }

// Unclaim deletes the claim of slot, for a run whose command did not
// start after all. A claim already gone is no error.
func (sl *Slots) Unclaim(slot string) error {
	p := path.Join(sl.dir, slot)
	if err := sl.s.conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete %s: %w", p, znode.AuthErr(err))
	}
	return nil
}

// Record writes data, the job's schedule record, as the register's data,
// making the register when reg (as Read found it) says it is missing: so
// that a job that never ran is known by its schedule. It writes even when
// the data is the same; the caller compares first.
func (sl *Slots) Record(reg *Register, data []byte) error {
	if reg.Found {
		if _, err := sl.s.conn.Set(sl.dir, data, -1); err != nil {
			return fmt.Errorf("set %s: %w", sl.dir, znode.AuthErr(err))
		}
		return nil
	}
	_, err := sl.s.conn.Create(sl.dir, data, 0)
	if errors.Is(err, zk.ErrNoNode) {
		// PREFIX/slots is missing: made once per prefix, never the prefix.
		if err = sl.s.conn.EnsureNode(path.Dir(sl.dir)); errors.Is(err, zk.ErrNoNode) {
			return znode.NoPrefix(sl.prefix)
		}
		if err == nil {
			_, err = sl.s.conn.Create(sl.dir, data, 0)
		}
	}
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("create %s: %w", sl.dir, znode.AuthErr(err))
	}
	return nil
}
