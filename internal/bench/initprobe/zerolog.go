//go:build probe_zerolog || probe_all

package main

// zerolog: the log.
import _ "github.com/rs/zerolog"
