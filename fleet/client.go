package fleet

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
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

// SessionOptions builds the ZooKeeper session options from the config:
// servers, timeouts, digest credentials and TLS, with log for the
// session's own reports. A TLS file that cannot be read is a config error
// (*config.FileError). The options try one attempt round (connect_timeout);
// DialRun adds start_deadline.
func SessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	tc, err := cfg.ClientTLS()
	if err != nil {
		return lock.Options{}, err
	}
	return lock.Options{Servers: cfg.ZKHosts, SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout, Auth: cfg.Auth, TLS: tc, Logger: log}, nil
}

// DialConfig is Dial with the session options of cfg (see SessionOptions)
// and its prefix: how every operator command connects. It tries one
// round: the operator is there to try again.
func DialConfig(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*Client, error) {
	return dialConfig(ctx, cfg, log, 0)
}

// DialRun is DialConfig for a run, which nobody watches: it keeps trying,
// with backoff, until cfg's start_deadline (see lock.Options).
func DialRun(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*Client, error) {
	return dialConfig(ctx, cfg, log, cfg.StartDeadline)
}

func dialConfig(ctx context.Context, cfg *config.Config, log zerolog.Logger, startDeadline time.Duration) (*Client, error) {
	opts, err := SessionOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	opts.StartDeadline = startDeadline
	return Dial(ctx, opts, cfg.Prefix)
}
