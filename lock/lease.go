package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
)

// Leases: counted semaphores behind fair queues. The znodes, all under the
// prefix, are the original switchman's:
//
//	queues/RESOURCE/LOCKNAME-NNNNNNNNNN             ephemeral sequential, one per waiter
//	semaphores/RESOURCE/leases/COUNT_TOTAL_NNNNNNNNNN  ephemeral sequential, one per holder
//
// A holder's COUNT and TOTAL are in its node's name, so one listing gives
// the sum in use and every holder's TOTAL.
//
// Why TOTAL is never exceeded: only the head of a resource's queue may
// create a holder node, and it stays the head until it has created it (a
// waiter leaves its queues only once it holds all its leases). So for each
// resource a single process at a time compares "sum + COUNT <= TOTAL" and
// creates its node; holders only ever leave meanwhile, which lowers the
// sum. The next head is woken by the deletion of the previous head's queue
// node, which ZooKeeper orders after that head's holder node: the next
// head's listing includes it. A head that dies loses its queue node and
// holder node together, when its session ends.
//
// Why no deadlock: a job queues for its resources one at a time, in the
// one global order of the prefix data's "resources" list, and joins the
// queue of a resource only once it holds the leases of all earlier ones. A
// job waiting on resource k holds only leases and queue heads of earlier
// resources, so waits always point to later resources or to running jobs.
// (The original joined every queue at once, which can deadlock two jobs
// leasing the same two resources.)

// ErrTotalMismatch means a lease's TOTAL differs from the current holders':
// the limit would silently mean two different things.
var ErrTotalMismatch = errors.New("lock: lease total disagrees with the holders'")

// TotalMismatchError names the holder whose TOTAL disagrees. It wraps
// ErrTotalMismatch.
type TotalMismatchError struct {
	Resource    string
	Total       int64
	Holder      string
	HolderTotal int64
}

func (e *TotalMismatchError) Error() string {
	return fmt.Sprintf("lease %s: TOTAL %d disagrees with TOTAL %d of the current holder %s: every job leasing %q must give the same TOTAL",
		e.Resource, e.Total, e.HolderTotal, e.Holder, e.Resource)
}

func (e *TotalMismatchError) Unwrap() error { return ErrTotalMismatch }

// LeaseRequest is one lease: Count of the Total units of Resource.
type LeaseRequest struct {
	Resource     string
	Count, Total int64
}

// LeaseOptions say which leases TakeLeases takes, for whom, and how long
// it may wait.
type LeaseOptions struct {
	// Name is the lock name. Waiters queue as NAME-NNNNNNNNNN, and a run
	// finding NAME already queued ahead of it is a duplicate (ErrQueued).
	Name string
	// Leases are taken in this order, which must be the one global order
	// (the prefix data's resources list) for jobs not to deadlock.
	Leases []LeaseRequest
	// Info describes the process; it is stored in its queue and holder
	// nodes.
	Info Info
	// Deadline ends the wait with ErrWaitTimeout; zero means no limit.
	Deadline time.Time
	// WatchLock makes the wait end with a *BusyError as soon as the lock
	// PREFIX/locks/NAME exists: another instance of the job is running, so
	// this one would be skipped anyway.
	WatchLock bool
	// Logger receives debug messages about the wait.
	Logger zerolog.Logger
	// OnWait, when set, is called once, in the caller's goroutine, when
	// the call has to block: not when every lease is free at once.
	OnWait func()
}

// Leases are leases held by this session. Closing the session releases
// them too.
type Leases struct {
	s        *Session
	prefix   string
	released bool
	// Nodes are the holder nodes, one per lease, in the order taken. Their
	// sequence numbers say in which order leases of a resource were
	// granted.
	Nodes []string
	// Queued are the queue nodes the leases were waited for in, in the
	// same order; they are deleted by the time TakeLeases returns.
	Queued []string
}

// Semaphores are the counted leases and their fair queues under one
// prefix (PREFIX/semaphores, PREFIX/queues), bound to it when made.
type Semaphores struct {
	s      *Session
	prefix string
}

// NewSemaphores returns the semaphores under prefix on session s. It sends
// nothing.
func NewSemaphores(s *Session, prefix string) *Semaphores {
	return &Semaphores{s: s, prefix: prefix}
}

// TakeLeases takes o.Leases, one resource after the other: it queues for
// the resource, waits to be the head, waits until the sum of the holders'
// counts leaves room for its count, and creates its holder node. Once it
// holds every lease it leaves all its queues and returns.
//
// It returns an error wrapping ErrQueued when the same lock name already
// waits for a resource, a *BusyError when o.WatchLock is set and the lock
// exists, a *TotalMismatchError, an error wrapping ErrWaitTimeout at the
// deadline, ErrSessionExpired when the session ends, or context.Cause(ctx).
// Whatever the error, every node it created is deleted first.
func (m *Semaphores) TakeLeases(ctx context.Context, o LeaseOptions) (*Leases, error) {
	s := m.s
	l := &Leases{s: s, prefix: m.prefix}
	if len(o.Leases) == 0 {
		return l, nil
	}
	w := s.newWaiter(ctx, o.Deadline, o.Logger)
	w.onWait = o.OnWait
	defer w.close()
	token := newToken()
	data, err := json.Marshal(nodeData{Info: o.Info.Bounded(), Lock: o.Name, Token: token})
	if err != nil {
		return nil, fmt.Errorf("encode lease data: %w", err)
	}
	if o.WatchLock {
		if err := w.watchLock(path.Join(m.prefix, LocksDir, o.Name)); err != nil {
			return nil, err
		}
	}
	for _, r := range o.Leases {
		if err := l.take(w, o, r, data, token); err != nil {
			s.remove(append(l.Queued, l.Nodes...)...)
			return nil, err
		}
	}
	s.remove(l.Queued...)
	return l, nil
}

// take waits in the queue of one resource and takes its lease.
func (l *Leases) take(w *waiter, o LeaseOptions, r LeaseRequest, data []byte, token string) error {
	dir := path.Join(l.prefix, QueuesDir, r.Resource)
	node, err := w.create(l.prefix, dir, o.Name+"-", data, token)
	if err != nil {
		return fmt.Errorf("queue for %s: %w", r.Resource, err)
	}
	l.Queued = append(l.Queued, node)
	w.log.Debug().Str("resource", r.Resource).Str("queue_node", node).Msg("queued")
	if err := w.waitHead(dir, node, o.Name); err != nil {
		return fmt.Errorf("queue for %s: %w", r.Resource, err)
	}
	holder, err := w.takeSlot(l.prefix, r, data, token)
	if err != nil {
		return err
	}
	l.Nodes = append(l.Nodes, holder)
	w.log.Debug().Str("resource", r.Resource).Str("lease_node", holder).Msg("lease granted")
	return nil
}

// takeSlot is called by the head of the resource's queue: it waits until
// the holders leave room for r.Count and creates the holder node. Being the
// head, it is the only process doing so for this resource.
func (w *waiter) takeSlot(prefix string, r LeaseRequest, data []byte, token string) (string, error) {
	dir := path.Join(prefix, SemaphoresDir, r.Resource, "leases")
	for attempt := 0; ; attempt++ {
		var kids []string
		var ch <-chan zk.Event
		err := w.do(func() (err error) { kids, _, ch, err = w.s.conn.ChildrenW(dir); return err })
		if errors.Is(err, zk.ErrNoNode) && attempt < maxRetries {
			if err := w.ensure(prefix, dir); err != nil {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("list holders of %s: %w", r.Resource, err)
		}
		used, err := sumHolders(kids, r)
		if err != nil {
			return "", err
		}
		if used+r.Count <= r.Total {
			return w.create(prefix, dir, fmt.Sprintf("%d_%d_", r.Count, r.Total), data, token)
		}
		w.log.Debug().Str("resource", r.Resource).Int64("used", used).Int64("count", r.Count).Int64("total", r.Total).Msg("waiting for lease")
		if err := w.wait(ch); err != nil {
			return "", fmt.Errorf("wait for lease %s: %w", r.Resource, err)
		}
	}
}

// sumHolders adds up the counts of the holder nodes COUNT_TOTAL_NNNNNNNNNN
// and checks that their TOTAL is r.Total. Names of another form are not
// holders and are ignored.
func sumHolders(kids []string, r LeaseRequest) (int64, error) {
	var sum int64
	for _, k := range kids {
		count, total, ok := parseHolder(k)
		if !ok {
			continue
		}
		if total != r.Total {
			return 0, &TotalMismatchError{Resource: r.Resource, Total: r.Total, Holder: k, HolderTotal: total}
		}
		sum += count
	}
	return sum, nil
}

// ParseLeaseNode reads a lease holder node's name, COUNT_TOTAL_SEQUENCE
// (the original's layout, which this tool shares).
func ParseLeaseNode(name string) (count, total int64, ok bool) { return parseHolder(name) }

func parseHolder(name string) (count, total int64, ok bool) {
	parts := strings.SplitN(name, "_", 3)
	if len(parts) != 3 {
		return 0, 0, false
	}
	if _, ok := parseSeq(parts[2]); !ok {
		return 0, 0, false
	}
	c, err1 := strconv.ParseInt(parts[0], 10, 64)
	t, err2 := strconv.ParseInt(parts[1], 10, 64)
	// Bounds keep a hand-made node from overflowing the sum.
	if err1 != nil || err2 != nil || c < 0 || t < 0 || c > 1<<40 || t > 1<<40 {
		return 0, 0, false
	}
	return c, t, true
}

// Release deletes the holder nodes, so that the next waiter need not wait
// for the session to close. It is safe to call more than once; a node it
// cannot delete goes with the session.
func (l *Leases) Release() {
	if l == nil || l.released || len(l.Nodes) == 0 {
		return
	}
	l.released = true
	l.s.remove(l.Nodes...)
}
