// Package zktest starts real Apache ZooKeeper servers (Debian's zookeeper
// package, 3.8, run as plain java processes) on 127.0.0.1 with free ports and
// temporary data directories, for tests, the demo, the benchmark and the
// fault-injection harness.
//
// Tests call Start or StartEnsemble: each call gets fresh servers that are
// stopped and deleted by t.Cleanup, and the test is skipped (or failed, when
// the CI environment variable is set) if ZooKeeper cannot be installed or
// started. Other programs call StartServer or StartEnsembleServers and own the
// result: they must call Close (or Stop, to keep the directories).
//
// A Server can be stopped, killed, paused (SIGSTOP) and resumed, and restarted
// with Start on the same ports and data directory, which is what "ZooKeeper
// restarted within the session timeout" scenarios need.
//
// The JVM is a direct child of the calling process, in its own process group
// (so a Ctrl-C aimed at `go test` does not race our own shutdown), and has
// Pdeathsig=SIGKILL (so a crashed test binary does not leave servers behind).
// Its output goes to zk.log in the server directory; a failed start reports
// the log's tail in the error.
package zktest
