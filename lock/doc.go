// Package lock is switchman's permission in ZooKeeper: a session whose
// liveness is measured from the last byte heard from the server, a
// non-blocking exclusive lock (an ephemeral znode under PREFIX/locks), fair
// queues and counted leases, the --min-interval start claim, and a Guard
// that watches everything a running job's permission depends on and cancels
// a context, with the reason as its cause, the moment that permission is
// lost.
//
// The fleet's recorded state (run records, markers, heartbeats, status
// reads) lives in package fleet, on this package's session. These two and
// the test helpers are the only packages that talk to ZooKeeper. lock knows
// nothing about child processes: the caller hands the Guard's context to
// the supervisor.
package lock
