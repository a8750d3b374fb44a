//go:build probe_tls || probe_all

package main

// crypto/tls: TLS to ZooKeeper (tls_* config keys).
import _ "crypto/tls"
