package zktest

import "errors"

var (
	// ErrNotInstalled means java or the ZooKeeper jars are missing and the
	// install script could not provide them.
	ErrNotInstalled = errors.New("zktest: zookeeper not installed")
	// ErrBadOptions means an Options field or an argument has a value the
	// package cannot use; the wrapping error names it.
	ErrBadOptions = errors.New("zktest: bad options")
	// ErrNotServing means a server did not answer `srvr` with a Mode line (not
	// running, paused, or not part of a quorum).
	ErrNotServing = errors.New("zktest: server not serving")
	// ErrExited means the JVM exited while we waited for it to serve.
	ErrExited = errors.New("zktest: zookeeper process exited")
	// ErrRunning is returned by Server.Start when the server is already running.
	ErrRunning = errors.New("zktest: server already running")
	// ErrNotRunning is returned by Pause and Resume on a server that is not
	// running.
	ErrNotRunning = errors.New("zktest: server not running")
	// ErrNoLeader means no reachable ensemble member reports itself leader.
	ErrNoLeader = errors.New("zktest: no leader")
)
