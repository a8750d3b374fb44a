package lock

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
)

// Sentinel errors. Callers compare with errors.Is.
var (
	// ErrUnreachable means no ZooKeeper session could be established in
	// time, or the connection stayed lost across retries.
	ErrUnreachable = znode.ErrUnreachable
	// ErrNoPrefix means the configured prefix znode does not exist.
	ErrNoPrefix = znode.ErrNoPrefix
	// ErrBusy means another process holds the lock.
	ErrBusy = errors.New("lock: held by another process")
	// ErrLockLost means the lock node was deleted or is no longer ours.
	ErrLockLost = errors.New("lock: lock lost")
	// ErrSessionExpired means the ZooKeeper session expired: every
	// ephemeral node of ours, the lock among them, is gone.
	ErrSessionExpired = errors.New("lock: zookeeper session expired")
	// ErrSessionAtRisk means the server has not been heard from for so long
	// that it may expire the session soon (self-fencing).
	ErrSessionAtRisk = errors.New("lock: zookeeper session at risk")
	// ErrNotMember means the group data changed and this host left the group.
	ErrNotMember = errors.New("lock: host no longer in group")
	// ErrPrefixDeleted means the prefix znode holding the group data was deleted.
	ErrPrefixDeleted = errors.New("lock: prefix znode deleted")
	// ErrAuth means ZooKeeper refused a request for want of rights: the
	// node's ACL does not grant this session's identity (no auth_file, a
	// wrong password, another user's node), or the credentials were refused.
	ErrAuth = znode.ErrAuth
)

// Sentinel errors of waiting. Callers compare with errors.Is.
var (
	// ErrWaitTimeout means the wait for a lease or a busy lock reached its
	// deadline; every queue node of the wait has been removed.
	ErrWaitTimeout = errors.New("lock: gave up waiting")
	// ErrQueued means a process with the same lock name already waits in
	// the queue of a resource: this run is a duplicate and should be
	// skipped, as the original did.
	ErrQueued = errors.New("lock: already queued")
	// ErrQueueLost means our queue node disappeared while we waited
	// (deleted by hand); the wait cannot be fair any more.
	ErrQueueLost = errors.New("lock: queue node deleted")
)

// IsAuth reports whether err means ZooKeeper refused this session's
// identity: ErrAuth, or the client library's NOAUTH or auth-failed errors
// from any recipe on the session.
func IsAuth(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, zk.ErrNoAuth) || errors.Is(err, zk.ErrAuthFailed)
}

// IsLost reports whether err means that a running job's permission ended:
// the lock lost, the session expired or at risk, the host no longer in the
// group, or the prefix znode deleted. These are the causes a Guard cancels
// its context with.
func IsLost(err error) bool {
	for _, lost := range []error{ErrLockLost, ErrSessionExpired, ErrSessionAtRisk, ErrNotMember, ErrPrefixDeleted} {
		if errors.Is(err, lost) {
			return true
		}
	}
	return false
}

// BusyError says who holds a busy lock. It wraps ErrBusy.
type BusyError struct {
	Path   string
	Holder Info
	// gone says that the node was not there when read: its holder left
	// between a failed create and the read.
	gone bool
}

func (e *BusyError) Error() string {
	h := e.Holder
	if h.Host == "" {
		return fmt.Sprintf("lock %s: held by another process", e.Path)
	}
	return fmt.Sprintf("lock %s: held by %s pid %d since %s", e.Path, h.Host, h.PID, h.Start.Format(time.RFC3339))
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// AtRiskError is the cause given when self-fencing stops a job. It wraps
// ErrSessionAtRisk and tells the supervisor, through KillBy, by when the
// child must be dead: before the server can expire the session and so hand
// the lock to another host.
type AtRiskError struct {
	// Silent is how long the server had not been heard from.
	Silent time.Duration
	// Deadline is when the child must be dead.
	Deadline time.Time
}

func (e *AtRiskError) Error() string {
	return fmt.Sprintf("lock: zookeeper session at risk: server silent for %s", e.Silent.Round(time.Millisecond))
}

func (e *AtRiskError) Unwrap() error { return ErrSessionAtRisk }

// KillBy returns the time by which the child must have been killed.
func (e *AtRiskError) KillBy() time.Time { return e.Deadline }
