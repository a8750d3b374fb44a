// Package znode is the one layer through which switchman talks to
// ZooKeeper: a Client wraps a session's connection, sends every request
// (counting it, so that tests can guard what an operation costs), retries
// idempotent requests across a connection loss, and turns the client
// library's errors into switchman's (ErrAuth, ErrNoPrefix, ErrUnreachable,
// a multi's real error). Package lock builds its session and primitives
// on it, and package fleet keeps the fleet's state through the same
// Client, which it gets from the session: nobody holds the raw connection.
package znode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"sync/atomic"

	"github.com/go-zookeeper/zk"
)

// Sentinel errors. Callers compare with errors.Is. Their texts keep the
// "lock: " they had when package lock defined them: they reach cron mail
// and logs, which scripts may match. Package lock exports the same values.
var (
	// ErrUnreachable means no ZooKeeper session could be established in
	// time, or the connection stayed lost across retries.
	ErrUnreachable = errors.New("lock: zookeeper unreachable")
	// ErrNoPrefix means the configured prefix znode does not exist.
	ErrNoPrefix = errors.New("lock: prefix znode does not exist")
	// ErrAuth means ZooKeeper refused a request for want of rights: the
	// node's ACL does not grant this session's identity (no auth_file, a
	// wrong password, another user's node), or the credentials were refused.
	ErrAuth = errors.New("lock: not authorized by zookeeper")
)

// retries is how often Retry sends a request in all before a connection
// that stays lost ends as ErrUnreachable.
const retries = 3

// Client sends requests on one ZooKeeper session. It is safe for
// concurrent use. Every request method counts the request it sends.
type Client struct {
	conn     *zk.Conn
	acl      []zk.ACL
	resume   func(context.Context) error
	connects func() int64
	requests atomic.Int64
}

// New returns the Client that owns conn from now on. acl is the ACL of
// every node it creates. resume is called after a connection loss: it
// returns nil once the session is back, or why it will not come back.
// connects returns how many connections the session has tried (see
// ConnectAttempts).
func New(conn *zk.Conn, acl []zk.ACL, resume func(context.Context) error, connects func() int64) *Client {
	return &Client{conn: conn, acl: acl, resume: resume, connects: connects}
}

// Requests returns how many requests the Client has sent, the close of
// the session included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// ConnectAttempts returns how many connections the session has tried so
// far, the one that gave it included: 1 when the first server tried
// answered. It sends nothing.
func (c *Client) ConnectAttempts() int64 { return c.connects() }

func (c *Client) count() { c.requests.Add(1) }

// ACL returns the ACL of the nodes this Client creates, for requests put
// in a multi.
func (c *Client) ACL() []zk.ACL { return c.acl }

// State returns the connection's state; it sends nothing.
func (c *Client) State() zk.State { return c.conn.State() }

// SessionID returns the current session id; it sends nothing.
func (c *Client) SessionID() int64 { return c.conn.SessionID() }

// Close ends the session (one request). It blocks until the server
// answers or the client library gives up.
func (c *Client) Close() {
	c.count()
	c.conn.Close()
}

// AddAuth adds credentials of scheme to the session.
func (c *Client) AddAuth(scheme string, auth []byte) error {
	c.count()
	return c.conn.AddAuth(scheme, auth)
}

// Get reads p's data and Stat.
func (c *Client) Get(p string) ([]byte, *zk.Stat, error) {
	c.count()
	return c.conn.Get(p)
}

// GetW is Get with a watch on p.
func (c *Client) GetW(p string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	c.count()
	return c.conn.GetW(p)
}

// Set writes p's data if its version is version (-1: any).
func (c *Client) Set(p string, data []byte, version int32) (*zk.Stat, error) {
	c.count()
	return c.conn.Set(p, data, version)
}

// Create creates p holding data, with the Client's ACL, and returns the
// path created (sequential nodes get a suffix).
func (c *Client) Create(p string, data []byte, flags int32) (string, error) {
	c.count()
	return c.conn.Create(p, data, flags, c.acl)
}

// CreateContainer creates p as a container node holding data, with the
// Client's ACL: the server deletes a container once its last child is
// gone (ZooKeeper 3.5.3+, on the container manager's interval), so a
// directory of short-lived children does not outlive them.
func (c *Client) CreateContainer(p string, data []byte) (string, error) {
	c.count()
	return c.conn.CreateContainer(p, data, zk.FlagContainer, c.acl)
}

// Delete deletes p if its version is version (-1: any).
func (c *Client) Delete(p string, version int32) error {
	c.count()
	return c.conn.Delete(p, version)
}

// Exists reports whether p exists, with its Stat when it does.
func (c *Client) Exists(p string) (bool, *zk.Stat, error) {
	c.count()
	return c.conn.Exists(p)
}

// ExistsW is Exists with a watch on p (its creation while it is missing).
func (c *Client) ExistsW(p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	c.count()
	return c.conn.ExistsW(p)
}

// Children lists p's children, unsorted.
func (c *Client) Children(p string) ([]string, *zk.Stat, error) {
	c.count()
	return c.conn.Children(p)
}

// ChildrenW is Children with a watch on p's children.
func (c *Client) ChildrenW(p string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	c.count()
	return c.conn.ChildrenW(p)
}

// GetACL reads p's ACL.
func (c *Client) GetACL(p string) ([]zk.ACL, *zk.Stat, error) {
	c.count()
	return c.conn.GetACL(p)
}

// Sync makes the server that answers this session catch up with the
// leader on p.
func (c *Client) Sync(p string) (string, error) {
	c.count()
	return c.conn.Sync(p)
}

// Multi sends ops (*zk.CreateRequest, *zk.SetDataRequest, ...) as one
// transaction: all commit or none. Its error is the failed operation's
// (see MultiErr).
func (c *Client) Multi(ops ...any) ([]zk.MultiResponse, error) {
	c.count()
	res, err := c.conn.Multi(ops...)
	return res, MultiErr(res, err)
}

// MultiErr is the error of a multi: ZooKeeper reports the failed
// operation's error in the reply header, which the client returns as err;
// an operation's own error is the fallback.
func MultiErr(res []zk.MultiResponse, err error) error {
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Error != nil {
			return r.Error
		}
	}
	return nil
}

// IsConnErr reports whether err means the request's fate is unknown because
// the connection dropped. A request written just as the server drops the
// connection (a server shedding load, a reset) gets the socket's own error,
// a *net.OpError, from the client library instead of ErrConnectionClosed.
func IsConnErr(err error) bool {
	var op *net.OpError
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) ||
		errors.Is(err, zk.ErrSessionMoved) || errors.Is(err, zk.ErrClosing) || errors.As(err, &op)
}

// Retry runs op, which must be idempotent (a read, a create whose
// ErrNodeExists the caller accepts), and runs it again when the connection
// dropped under it, once the session is back, up to three times in all: a
// server restart or leader election is routine and must not fail a cron
// run. A connection that stays lost ends as ErrUnreachable; ctx bounds the
// waits.
func (c *Client) Retry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !IsConnErr(err) {
			return err
		}
		if attempt == retries {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		if werr := c.resume(ctx); werr != nil {
			return werr
		}
	}
}

// AuthErr turns the client library's NOAUTH or auth-failed error into an
// ErrAuth error that says what is wrong; other errors pass through.
// Callers add the operation and path.
func AuthErr(err error) error {
	if errors.Is(err, zk.ErrNoAuth) || errors.Is(err, zk.ErrAuthFailed) {
		return fmt.Errorf("%w: the znode's ACL does not grant this identity", ErrAuth)
	}
	return err
}

// NoPrefix returns the error wrapping ErrNoPrefix for prefix.
func NoPrefix(prefix string) error {
	return fmt.Errorf("%w: %s", ErrNoPrefix, prefix)
}

// Read reads p, retried across a connection loss. A missing node reads as
// nil data with a nil error; present data is never nil.
func (c *Client) Read(p string) ([]byte, *zk.Stat, error) {
	var b []byte
	var st *zk.Stat
	err := c.Retry(context.Background(), func() (err error) {
		b, st, err = c.Get(p)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", p, AuthErr(err))
	}
	if b == nil {
		b = []byte{}
	}
	return b, st, nil
}

// List returns p's children, sorted, retried across a connection loss; a
// missing node has none.
func (c *Client) List(p string) ([]string, error) {
	var kids []string
	err := c.Retry(context.Background(), func() (err error) {
		kids, _, err = c.Children(p)
		return err
	})
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", p, AuthErr(err))
	}
	sort.Strings(kids)
	return kids, nil
}

// Remove deletes p at any version; it reports whether p existed.
func (c *Client) Remove(p string) (bool, error) {
	err := c.Delete(p, -1)
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete %s: %w", p, AuthErr(err))
	}
	return true, nil
}

// EnsureNode creates the persistent node p with no data if it is missing.
// A missing parent is an error wrapping zk.ErrNoNode; a dropped connection
// is retried as Retry does.
func (c *Client) EnsureNode(p string) error {
	err := c.Retry(context.Background(), func() error {
		_, err := c.Create(p, nil, 0)
		if errors.Is(err, zk.ErrNodeExists) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", p, AuthErr(err))
	}
	return nil
}

// RequirePrefix returns an error wrapping ErrNoPrefix when the prefix
// znode does not exist. One request.
func (c *Client) RequirePrefix(prefix string) error {
	ok, _, err := c.Exists(prefix)
	if err != nil {
		return fmt.Errorf("check prefix %s: %w", prefix, AuthErr(err))
	}
	if !ok {
		return NoPrefix(prefix)
	}
	return nil
}

// EnsureLayout checks that prefix exists and creates its children dirs
// when missing. It returns an error wrapping ErrNoPrefix when the prefix
// itself is missing: switchman never invents the znode that holds the
// fleet's group data. Every step may be repeated, so a connection lost
// under it (a leader election) is retried, and one that stays lost ends as
// ErrUnreachable.
func (c *Client) EnsureLayout(prefix string, dirs ...string) error {
	return c.Retry(context.Background(), func() error {
		if err := c.RequirePrefix(prefix); err != nil {
			return err
		}
		for _, d := range dirs {
			if err := c.EnsureNode(path.Join(prefix, d)); err != nil {
				return err
			}
		}
		return nil
	})
}
