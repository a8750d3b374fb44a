package zktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ensembleStartTimeout bounds StartEnsembleServers' wait for all members to
// serve and one to lead: three JVMs start at once on a possibly shared
// 2-core machine, then elect (a few ticks).
const ensembleStartTimeout = 45 * time.Second

// Ensemble is a ZooKeeper ensemble of real servers on 127.0.0.1, one JVM
// each, all in one temporary directory.
type Ensemble struct {
	// Servers holds the members in myid order (Servers[i].ID == i+1).
	Servers []*Server

	root string // holds every member's Dir
}

// StartEnsembleServers starts an ensemble of n servers (3 is typical; 1
// runs standalone) with fresh ports and directories and returns once every
// member serves clients and exactly one is the leader (at most ~45s). Bind
// failures are retried with fresh ports. On failure nothing is left running
// or on disk, and the error includes the failing member's log tail. The
// caller owns the ensemble and must call Close (or Stop).
func StartEnsembleServers(n int, opts Options) (*Ensemble, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: ensemble size %d: want at least 1", ErrBadOptions, n)
	}
	return startFresh(opts, func(o Options) (*Ensemble, error) { return startEnsembleOnce(n, o, nil) })
}

// startEnsembleOnce makes one attempt of StartEnsembleServers with fresh
// ports, tearing everything down on failure. edit, if not nil, runs after the
// directories are written and before any JVM starts (tests use it to break
// one member).
func startEnsembleOnce(n int, opts Options, edit func(*Ensemble) error) (*Ensemble, error) {
	members, err := newMembers(n)
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "zktest-ensemble-")
	if err != nil {
		return nil, fmt.Errorf("create ensemble directory: %w", err)
	}
	e := &Ensemble{root: root}
	err = e.create(opts, members)
	if err == nil && edit != nil {
		err = edit(e)
	}
	if err != nil {
		_ = e.Close()
		return nil, err
	}
	if err := e.start(); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// newMembers assigns ids 1..n and three distinct free ports to each.
func newMembers(n int) ([]member, error) {
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	members := make([]member, n)
	for i := range members {
		members[i] = member{id: i + 1, clientPort: ports[3*i], peerPort: ports[3*i+1], electionPort: ports[3*i+2]}
	}
	return members, nil
}

// create prepares every member's directory under e.root.
func (e *Ensemble) create(opts Options, members []member) error {
	for _, m := range members {
		s, err := newServer(filepath.Join(e.root, fmt.Sprintf("server-%d", m.id)), opts, m, members)
		if err != nil {
			return err
		}
		e.Servers = append(e.Servers, s)
	}
	return nil
}

// start launches every member, then waits for all to serve and for a leader.
// All JVMs are launched before any wait: none can serve before a quorum is up.
func (e *Ensemble) start() error {
	deadline := time.Now().Add(ensembleStartTimeout)
	procs := make([]*proc, len(e.Servers))
	offs := make([]int64, len(e.Servers))
	for i, s := range e.Servers {
		p, off, err := s.launch()
		if err != nil {
			return err
		}
		procs[i], offs[i] = p, off
	}
	for i, s := range e.Servers {
		if err := s.awaitServing(procs[i], offs[i], time.Until(deadline)); err != nil {
			return err
		}
	}
	_, err := e.waitLeader(time.Until(deadline))
	return err
}

// waitLeader polls Leader until it succeeds or timeout passes.
func (e *Ensemble) waitLeader(timeout time.Duration) (*Server, error) {
	deadline := time.Now().Add(timeout)
	for {
		l, err := e.Leader()
		if err == nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("ensemble %s: after %v: %w", e.ConnString(), timeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// Addrs returns the members' client addresses in myid order.
func (e *Ensemble) Addrs() []string {
	addrs := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		addrs[i] = s.Addr
	}
	return addrs
}

// ConnString returns the client connection string
// "127.0.0.1:p1,127.0.0.1:p2,...".
func (e *Ensemble) ConnString() string {
	return strings.Join(e.Addrs(), ",")
}

// modes asks every running member for its mode in parallel (a paused member
// costs one 2s timeout, not one per member); "" marks no answer.
func (e *Ensemble) modes() []string {
	modes := make([]string, len(e.Servers))
	var wg sync.WaitGroup
	for i, s := range e.Servers {
		if !s.Running() {
			continue
		}
		wg.Go(func() { modes[i], _ = s.Mode() })
	}
	wg.Wait()
	return modes
}

// Leader returns the one member that reports "leader" (or "standalone", for
// an ensemble of one). It returns an error wrapping ErrNoLeader if none does
// (e.g. during an election or without a quorum), and an error if several do.
// Members are asked in parallel, each for at most 2s.
func (e *Ensemble) Leader() (*Server, error) {
	var leaders []*Server
	for i, m := range e.modes() {
		if m == "leader" || m == "standalone" {
			leaders = append(leaders, e.Servers[i])
		}
	}
	switch len(leaders) {
	case 0:
		return nil, ErrNoLeader
	case 1:
		return leaders[0], nil
	default:
		ids := make([]string, len(leaders))
		for i, l := range leaders {
			ids[i] = fmt.Sprint(l.ID)
		}
		return nil, fmt.Errorf("zktest: servers %s all claim to lead", strings.Join(ids, ","))
	}
}

// Followers returns the members that currently report "follower" (stopped,
// paused and electing members are not included).
func (e *Ensemble) Followers() []*Server {
	var fs []*Server
	for i, m := range e.modes() {
		if m == "follower" {
			fs = append(fs, e.Servers[i])
		}
	}
	return fs
}

// Stop stops every member in parallel (see Server.Stop), keeping ports and
// directories. Errors (a process surviving SIGKILL) are ignored: use Close
// or each Server's Stop to see them.
func (e *Ensemble) Stop() {
	_ = e.stopAll()
}

// stopAll stops every member in parallel and returns their errors joined.
func (e *Ensemble) stopAll() error {
	errs := make([]error, len(e.Servers))
	var wg sync.WaitGroup
	for i, s := range e.Servers {
		wg.Go(func() { errs[i] = s.Stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close stops every member and removes the ensemble's directory. The
// ensemble cannot be started again afterwards.
func (e *Ensemble) Close() error {
	err := e.stopAll()
	if e.root != "" {
		if rmErr := os.RemoveAll(e.root); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("remove %s: %w", e.root, rmErr))
		}
	}
	return err
}
