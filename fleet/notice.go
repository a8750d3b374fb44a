package fleet

import (
	"errors"
	"path"
	"time"

	"github.com/go-zookeeper/zk"
)

// Notice is an event claimed outside a run's finish: one that the passing
// of time fires (a reminder that a job still fails, a run past its
// expected duration, a slot nobody ran), noticed by a running wrapper or by
// a check. It is claimed as the finish claims its event: by a write of the
// job's history node, compared against the version read, so that of all
// the hosts and checks that notice it at once, one only sends it.
type Notice struct {
	// Event is the event's name (reminder, overdue, missed).
	Event string `json:"event"`
	// Key tells one occurrence of the event from another: the run (its
	// fencing token) for overdue, the slot for missed; "" for a reminder,
	// which time alone makes due again.
	Key string `json:"key,omitempty"`
	// Time is when it was claimed, and Host by whom (a host's identity, or
	// "check" for a check without one).
	Time time.Time `json:"time"`
	Host string    `json:"host"`
}

// noticesKept bounds the notices a job's history keeps: the newest, enough
// to tell a repeat from a first for every kind, in a few hundred bytes.
const noticesKept = 16

// Claimed says whether notices hold one of event with key.
func Claimed(notices []Notice, event, key string) bool {
	for _, n := range notices {
		if n.Event == event && n.Key == key {
			return true
		}
	}
	return false
}

// ClaimNotice claims the notice that due returns for job lock, given its
// history (runs oldest first, and the notices claimed before), or nothing
// when due returns nil. It returns the claimed notice and the runs it was
// decided on, or a nil notice when none was due or another host or check
// claimed it first (due is asked again after every concurrent write, so
// it sees that claim). A job without a history node gets one.
func (s *Store) ClaimNotice(lock string, due func(runs []PastRun, notices []Notice) *Notice) (*Notice, []PastRun, error) {
	for attempt := 0; attempt < 5; attempt++ {
		h, ok, err := s.readJobLog(lock)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			h = &History{version: -1}
		}
		n := due(h.log.Runs, h.log.Notices)
		if n == nil {
			return nil, h.log.Runs, nil
		}
		h.log.Notices = append(h.log.Notices, *n)
		if k := len(h.log.Notices) - noticesKept; k > 0 {
			h.log.Notices = h.log.Notices[k:]
		}
		b, err := h.log.fit()
		if err != nil {
			return nil, nil, err
		}
		if ok {
			_, err = s.conn.Set(s.jobPath(lock), b, h.version)
		} else {
			err = s.createJobLog(lock, b)
		}
		switch {
		case err == nil:
			return n, h.log.Runs, nil
		case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNodeExists):
			continue // another claim or finish came between: decide again
		default:
			return nil, nil, wrapPut(s.jobPath(lock), err)
		}
	}
	return nil, nil, nil
}

// Notices returns the notices claimed for job lock, oldest first.
func (s *Store) Notices(lock string) ([]Notice, error) {
	h, _, err := s.readJobLog(lock)
	if err != nil || h == nil {
		return nil, err
	}
	return h.log.Notices, nil
}

// createJobLog creates the history node of job lock with b; it fails with
// zk.ErrNodeExists when another write created it first.
func (s *Store) createJobLog(lock string, b []byte) error {
	if err := s.ensureNode(path.Dir(s.jobPath(lock))); err != nil {
		return err
	}
	_, err := s.conn.Create(s.jobPath(lock), b, 0)
	return err
}
