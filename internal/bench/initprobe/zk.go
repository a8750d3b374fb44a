//go:build probe_zk || probe_all

package main

// The ZooKeeper client.
import _ "github.com/go-zookeeper/zk"
