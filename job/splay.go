package job

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"time"
)

// SplayOffset returns how long a run of lock on host waits with --splay d
// before it connects: a point in [0, d) that depends only on the lock
// name and the host's identity, as Jenkins' H does, so that one host's
// runs of one job start at the same offset every time (its lateness stays
// measurable) while the hosts of a fleet, and the jobs of one host, fall
// at different points of the window. d <= 0 gives 0.
//
// The offset is the top 64 bits of a SHA-256 of lock and host scaled to d
// (a multiply, not a modulo, so every offset is equally likely); the NUL
// between the two keeps "a"+"bc" apart from "ab"+"c".
func SplayOffset(lock, host string, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(lock + "\x00" + host))
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(sum[:8]), uint64(d))
	return time.Duration(hi)
}

// splay waits the run's --splay offset, before the session is opened: the
// wait costs ZooKeeper nothing. It returns the offset, or ctx's error when
// a stop signal ends the wait (the run then ends as a signal before the
// start).
func (j *job) splay(ctx context.Context) (time.Duration, error) {
	off := SplayOffset(j.opts.LockName, j.host, j.opts.Splay)
	if off <= 0 {
		return 0, nil
	}
	j.log.Debug().Str("lock", j.opts.LockName).Dur("splay", j.opts.Splay).Dur("splay_offset", off).
		Msg("waiting the splay offset before connecting")
	t := time.NewTimer(off)
	defer t.Stop()
	select {
	case <-t.C:
		return off, nil
	case <-ctx.Done():
		return off, context.Cause(ctx)
	}
}
