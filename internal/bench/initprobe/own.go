//go:build probe_all

package main

// switchman's own packages on a run's path.
import (
	_ "github.com/acme/switchman/config"
	_ "github.com/acme/switchman/fleet"
	_ "github.com/acme/switchman/lock"
	_ "github.com/acme/switchman/supervise"
)
