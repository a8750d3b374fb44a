package main

import (
	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/lock"
)

// sessionOptions builds the ZooKeeper session options from the config; a
// TLS file that cannot be read is a config error.
func sessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	return lock.OptionsFor(cfg, log)
}
