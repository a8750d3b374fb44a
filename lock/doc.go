// Package lock is switchman's permission in ZooKeeper: a session whose
// liveness is measured from the last byte heard from the server, and
// handles made from it and bound to the prefix when made: a Mutex (a
// non-blocking exclusive lock, an ephemeral znode under PREFIX/locks, or a
// fair wait for it), Semaphores (counted leases behind fair queues), the
// --min-interval StartClaim, and a Guard that watches everything a running
// job's permission depends on and cancels a context, with the reason as
// its cause, the moment that permission is lost.
//
// Every request goes through the session's znode.Client, which counts it,
// retries it across a connection loss where that is safe, and maps the
// client library's errors. The fleet's recorded state (run records,
// markers, heartbeats, status reads) lives in package fleet, which gets
// that Client from the session, never the raw connection. lock knows
// nothing about child processes: the caller hands the Guard's context to
// the supervisor.
package lock
