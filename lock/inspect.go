package lock

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// ACLEntry is one entry of a znode's ACL, in the words `switchman doctor`
// prints: scheme, id and the rights as ZooKeeper's letters (c, d, r, w, a).
type ACLEntry struct {
	Scheme, ID, Perms string
}

// Open reports whether the entry grants anyone (scheme world) more than
// reading.
func (e ACLEntry) Open() bool {
	return e.Scheme == "world" && strings.ContainsAny(e.Perms, "cdwa")
}

func (e ACLEntry) String() string { return e.Scheme + ":" + e.ID + ":" + e.Perms }

// NodeACL returns the ACL of the node at p. It returns an error wrapping
// ErrNoPrefix-like zk.ErrNoNode detail when the node is missing.
func (s *Session) NodeACL(p string) ([]ACLEntry, error) {
	s.count()
	acls, _, err := s.conn.GetACL(p)
	if err != nil {
		return nil, fmt.Errorf("read ACL of %s: %w", p, wrapAuth(err))
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

// NodeExists reports whether the node at p exists. ZooKeeper answers this
// whatever the node's ACL.
func (s *Session) NodeExists(p string) (bool, error) {
	s.count()
	ok, _, err := s.conn.Exists(p)
	if err != nil {
		return false, fmt.Errorf("check %s: %w", p, err)
	}
	return ok, nil
}

// ClockOffset estimates how far the server's clock is ahead of ours: it
// creates an ephemeral node under prefix, compares its mtime (the server's
// clock, in milliseconds) with the midpoint of the local times around the
// create, and deletes the node. The result is good to about half the round
// trip, which it also returns.
func (s *Session) ClockOffset(prefix string) (offset, uncertainty time.Duration, err error) {
	p := path.Join(prefix, "doctor-clock-"+strconv.FormatInt(s.conn.SessionID(), 16))
	s.count()
	before := time.Now()
	_, err = s.conn.Create(p, nil, zk.FlagEphemeral, s.ACL())
	after := time.Now()
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", p, wrapAuth(err))
	}
	s.count()
	_, st, err := s.conn.Get(p)
	s.count()
	if derr := s.conn.Delete(p, -1); derr != nil && !errors.Is(derr, zk.ErrNoNode) && err == nil {
		err = derr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", p, wrapAuth(err))
	}
	mid := before.Add(after.Sub(before) / 2)
	return time.UnixMilli(st.Mtime).Sub(mid), after.Sub(before) / 2, nil
}

// ServerVersion asks the server at addr for its version with the `srvr`
// four-letter word, over TLS when tc is set. Production servers often
// leave srvr off (4lw.commands.whitelist): then it returns an error.
func ServerVersion(ctx context.Context, addr string, tc *tls.Config, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var c net.Conn
	var err error
	if tc != nil {
		cfg := tc.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		c, err = (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	if _, err := c.Write([]byte("srvr")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, ",")
			return v, nil
		}
		if strings.Contains(sc.Text(), "not in the whitelist") || strings.Contains(sc.Text(), "not executed") {
			return "", errors.New("srvr is disabled on the server (4lw.commands.whitelist)")
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no version in the srvr answer")
}
