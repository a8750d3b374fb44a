package job

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// outsideMemo remembers, in this user's host-local cache directory, that
// this host is outside a group, with the digest of the group data that
// said so. At the top of the minute most of a fleet's runs are outside
// their job's group; such a run, once remembered:
//
//   - leaves out of its preflight the reads only a member needs (the lock
//     node, the last run record and the history: three of its seven
//     requests), which a member whose memo is stale then sends after the
//     group check, one round trip later;
//   - decides from the digest instead of parsing the group data, which
//     grows with the fleet.
//
// The decision is still made on the group data read now: the same bytes
// give the same membership, and any change to them (a host added, a group
// renamed) misses the memo and is parsed. A host found to be a member
// forgets the memo, so its later runs pipeline every read again.
type outsideMemo struct {
	path string // "": no memo (no cache directory, or no --group)
}

// outsideMemoOf returns the memo of host's membership of group under
// prefix on servers.
func outsideMemoOf(dir string, servers []string, prefix, group, host string) outsideMemo {
	if dir == "" || group == "" {
		return outsideMemo{}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", strings.Join(servers, ","), prefix, group, host)
	return outsideMemo{path: filepath.Join(dir, fmt.Sprintf("outside-%016x", h.Sum64()))}
}

// digest names data in the memo.
func digest(data []byte) []byte {
	sum := sha256.Sum256(data)
	return []byte(hex.EncodeToString(sum[:]))
}

// exists says whether a memo was written, for whatever data.
func (m outsideMemo) exists() bool {
	if m.path == "" {
		return false
	}
	_, err := os.Stat(m.path)
	return err == nil
}

// matches says whether the memo was written for exactly data.
func (m outsideMemo) matches(data []byte) bool {
	if m.path == "" {
		return false
	}
	b, err := os.ReadFile(m.path)
	return err == nil && bytes.Equal(b, digest(data))
}

// remember writes the memo for data: whole, then renamed, so that a run
// beside this one never reads half of it. A failure leaves no memo,
// which only costs the next run the reads it always made.
func (m outsideMemo) remember(data []byte) {
	if m.path == "" || os.MkdirAll(filepath.Dir(m.path), 0o700) != nil {
		return
	}
	tmp := fmt.Sprintf("%s.%d.tmp", m.path, os.Getpid())
	if os.WriteFile(tmp, digest(data), 0o600) != nil || os.Rename(tmp, m.path) != nil {
		_ = os.Remove(tmp)
	}
}

// forget removes the memo.
func (m outsideMemo) forget() {
	if m.path != "" {
		_ = os.Remove(m.path)
	}
}

// outside returns the run's memo (see outsideMemo).
func (j *job) outside() outsideMemo {
	return outsideMemoOf(config.CacheDir(), j.cfg.ZKHosts, j.cfg.Prefix, j.opts.Group, j.host)
}

// readLockState sends the reads of a run that takes the lock at once
// which its preflight left out (see outsideMemo): the lock node and the
// last run record, pipelined.
func (j *job) readLockState(c *fleet.Client, pf *preflight) {
	var wg sync.WaitGroup
	wg.Go(func() { pf.busy = lock.NewMutex(c.Session(), j.cfg.Prefix, j.opts.LockName).Peek() })
	wg.Go(j.rec.ReadLast)
	wg.Wait()
	pf.lockUnread = false
}
