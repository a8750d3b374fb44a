package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/znode"
)

// ACLEntry is one entry of a znode's ACL: scheme, id and the rights as
// ZooKeeper's letters (c, d, r, w, a).
type ACLEntry struct {
	Scheme, ID, Perms string
}

// Open reports whether the entry grants anyone (scheme world) more than
// reading.
func (e ACLEntry) Open() bool {
	return e.Scheme == "world" && strings.ContainsAny(e.Perms, "cdwa")
}

func (e ACLEntry) String() string { return e.Scheme + ":" + e.ID + ":" + e.Perms }

// NodeACL returns the ACL of the node at p, a path relative to the prefix
// ("" for the prefix itself).
func (s *Store) NodeACL(p string) ([]ACLEntry, error) {
	full := s.path(p)
	acls, _, err := s.conn.GetACL(full)
	if err != nil {
		return nil, fmt.Errorf("read ACL of %s: %w", full, znode.AuthErr(err))
	}
	out := make([]ACLEntry, 0, len(acls))
	for _, a := range acls {
		out = append(out, ACLEntry{Scheme: a.Scheme, ID: a.ID, Perms: permLetters(a.Perms)})
	}
	return out, nil
}

func permLetters(p int32) string {
	var b strings.Builder
	for _, x := range []struct {
		bit int32
		c   byte
	}{{zk.PermCreate, 'c'}, {zk.PermDelete, 'd'}, {zk.PermRead, 'r'}, {zk.PermWrite, 'w'}, {zk.PermAdmin, 'a'}} {
		if p&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// NodeExists reports whether the node at p, relative to the prefix, exists.
// ZooKeeper answers this whatever the node's ACL.
func (s *Store) NodeExists(p string) (bool, error) {
	full := s.path(p)
	ok, _, err := s.conn.Exists(full)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", full, err)
	}
	return ok, nil
}

// ClockOffset estimates how far the server's clock is ahead of ours: it
// creates an ephemeral node under the prefix, compares its mtime (the
// server's clock, in milliseconds) with the midpoint of the local times
// around the create, and deletes the node. The result is good to about half
// the round trip, which it also returns.
func (s *Store) ClockOffset() (offset, uncertainty time.Duration, err error) {
	p := s.path("doctor-clock-" + strconv.FormatInt(s.conn.SessionID(), 16))
	before := time.Now()
	_, err = s.conn.Create(p, nil, zk.FlagEphemeral)
	after := time.Now()
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", p, znode.AuthErr(err))
	}
	_, st, err := s.get(p)
	if _, derr := s.remove(p); derr != nil && err == nil {
		err = derr
	}
	if err == nil && st == nil {
		err = fmt.Errorf("read %s: %w", p, zk.ErrNoNode)
	}
	if err != nil {
		return 0, 0, err
	}
	mid := before.Add(after.Sub(before) / 2)
	return time.UnixMilli(st.Mtime).Sub(mid), after.Sub(before) / 2, nil
}
