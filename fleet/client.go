package fleet

import (
	"context"

	"github.com/acme/switchman/lock"
)

// Client is one ZooKeeper session and the fleet's store bound to a prefix
// on it: what a run and every operator command hold while they talk to
// ZooKeeper. The session holds permission (locks, leases, watches); the
// store reads and writes the fleet's state. A nil *Client is one that asks
// ZooKeeper nothing: Close on it does nothing.
type Client struct {
	sess  *lock.Session
	store *Store
}

// Dial opens a session with opts and binds the store to prefix. It returns
// lock.Dial's errors (wrapping lock.ErrUnreachable or lock.ErrAuth); it
// does not check that the prefix exists (see Store.RequirePrefix). The
// caller closes the client.
func Dial(ctx context.Context, opts lock.Options, prefix string) (*Client, error) {
	sess, err := lock.Dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Client{sess: sess, store: New(sess, prefix)}, nil
}

// Session returns the client's session, for the lock, the leases and the
// watches.
func (c *Client) Session() *lock.Session { return c.sess }

// Store returns the fleet's store under the client's prefix.
func (c *Client) Store() *Store { return c.store }

// Close ends the session: the server deletes at once every ephemeral node
// it created (lock, lease and queue nodes), whatever the caller did with
// them.
func (c *Client) Close() {
	if c != nil {
		c.sess.Close()
	}
}
