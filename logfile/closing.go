package logfile

import (
	"io"
	"sync"
)

// Closing is a log destination whose writes after Close are dropped
// without an error. The ZooKeeper client's goroutines may log the end of a
// connection after a run has closed its log file; a failed write would
// make zerolog print "could not write event" on stderr, which cron mails.
type Closing struct {
	mu     sync.Mutex
	w      io.WriteCloser
	closed bool
}

// NewClosing wraps w.
func NewClosing(w io.WriteCloser) *Closing { return &Closing{w: w} }

// Write writes p to the destination, or drops it once closed.
func (c *Closing) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.w.Write(p)
}

// Close closes the destination; later writes are dropped.
func (c *Closing) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.w.Close()
}
