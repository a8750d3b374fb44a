package main

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// adminSession is the harness's own ZooKeeper session: long enough to outlive
// every fault (the longest freezes the ensemble for S+2s), so the admin view
// of the znodes never disappears mid-scenario.
const adminSession = 30 * time.Second

// cluster is the ZooKeeper side of the harness: an ensemble (1 or 3 servers)
// and an admin connection straight to it (never through a fault proxy).
type cluster struct {
	ens   *zktest.Ensemble
	admin *zk.Conn
}

// newCluster connects the admin session to ens.
func newCluster(ens *zktest.Ensemble) (*cluster, error) {
	conn, err := zktest.Connect(ens.Addrs(), adminSession, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return &cluster{ens: ens, admin: conn}, nil
}

func (c *cluster) close() {
	if c.admin != nil {
		c.admin.Close()
	}
}

// healthy restarts stopped members, resumes paused ones (Resume on a running
// server is harmless) and waits until a leader serves, so that every
// scenario starts from a whole ensemble.
func (c *cluster) healthy(timeout time.Duration) error {
	for _, s := range c.ens.Servers {
		if !s.Running() {
			if err := s.Start(); err != nil {
				return fmt.Errorf("restart server %d: %w", s.ID, err)
			}
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.ens.Leader()
		if err == nil {
			if _, _, err = c.admin.Exists("/"); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ensemble not healthy within %s: %w", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// createPrefix creates the scenario's prefix znode holding data.
func (c *cluster) createPrefix(prefix, data string) error {
	_, err := c.admin.Create(prefix, []byte(data), 0, zk.WorldACL(zk.PermAll))
	if err != nil {
		return fmt.Errorf("create %s: %w", prefix, err)
	}
	return nil
}

// setData overwrites the prefix znode's data (a group move, malformed data).
func (c *cluster) setData(prefix, data string) error {
	if _, err := c.admin.Set(prefix, []byte(data), -1); err != nil {
		return fmt.Errorf("set %s: %w", prefix, err)
	}
	return nil
}

// ephemerals lists the ephemeral znodes under PREFIX/locks, queues and
// semaphores (recursively): locks, queue entries and leases of live sessions.
func (c *cluster) ephemerals(prefix string) ([]string, error) {
	var out []string
	for _, dir := range []string{"locks", "queues", "semaphores"} {
		if err := c.walk(path.Join(prefix, dir), &out); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func (c *cluster) walk(p string, out *[]string) error {
	kids, st, err := c.admin.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", p, err)
	}
	if st.EphemeralOwner != 0 {
		*out = append(*out, p)
	}
	for _, k := range kids {
		if err := c.walk(path.Join(p, k), out); err != nil {
			return err
		}
	}
	return nil
}

// waitNoEphemerals waits (bounded) until no lock, queue or semaphore node is
// left under prefix and returns what is left at the deadline.
func (c *cluster) waitNoEphemerals(prefix string, timeout time.Duration) ([]string, error) {
	deadline := time.Now().Add(timeout)
	for {
		left, err := c.ephemerals(prefix)
		if err != nil || len(left) == 0 || time.Now().After(deadline) {
			return left, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
