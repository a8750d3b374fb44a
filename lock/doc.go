// Package lock is switchman's ZooKeeper side: a session whose liveness is
// measured from the last byte heard from the server, a non-blocking
// exclusive lock (an ephemeral znode under PREFIX/locks), and a Guard that
// watches everything a running job's permission depends on and cancels a
// context, with the reason as its cause, the moment that permission is lost.
//
// It is the only package (besides test helpers) that talks to ZooKeeper.
// It knows nothing about child processes: the caller hands the Guard's
// context to the supervisor.
package lock
