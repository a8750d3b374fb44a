// Package fleet is the fleet's state in ZooKeeper under one prefix: run
// records, halt and pause markers, kill requests, host heartbeats, the
// history of the group data, and the status reads (locks held, queued
// waiters, lease holders). A Store is bound to its prefix and rides on a
// lock.Session; package lock keeps only permission (the session, the lock,
// queues, leases and the guard).
//
// A Recorder carries one run's record through its life, with the state it
// keeps on the host: the spool of finish records ZooKeeper could not take,
// and the stamp that spaces the host's heartbeats.
//
// Every request goes through the session's znode.Client, the layer package
// lock uses too: it counts each request, so tests can guard what each
// operation costs, retries reads across a connection loss and maps the
// client library's errors. The store never holds the raw connection.
package fleet
