package zktest

// Error is a sentinel error of this package: a constant, compared with
// errors.Is, whose message starts with the package's name.
type Error string

func (e Error) Error() string { return "zktest: " + string(e) }

// The package's sentinel errors.
const (
	// ErrNotInstalled means java or the ZooKeeper jars are missing and the
	// install script could not provide them.
	ErrNotInstalled Error = "zookeeper not installed"
	// ErrBadOptions means an Options field or an argument has a value the
	// package cannot use; the wrapping error names it.
	ErrBadOptions Error = "bad options"
	// ErrNotServing means a server did not answer `srvr` with a Mode line (not
	// running, paused, or not part of a quorum).
	ErrNotServing Error = "server not serving"
	// ErrExited means the JVM exited while we waited for it to serve.
	ErrExited Error = "zookeeper process exited"
	// ErrRunning is returned by Server.Start when the server is already running.
	ErrRunning Error = "server already running"
	// ErrNotRunning is returned by Pause and Resume on a server that is not
	// running.
	ErrNotRunning Error = "server not running"
	// ErrNoLeader means no reachable ensemble member reports itself leader.
	ErrNoLeader Error = "no leader"
	// errPortTaken marks a start that failed because a port was already
	// bound, which is worth retrying with fresh ports.
	errPortTaken Error = "port already in use"
)
