package main

import (
	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/lock"
)

// sessionOptions builds the ZooKeeper session options from the config:
// servers, timeouts, digest credentials and TLS, with log for the
// session's own reports. A TLS file that cannot be read is a config error.
func sessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	tc, err := cfg.ClientTLS()
	if err != nil {
		return lock.Options{}, err
	}
	return lock.Options{Servers: cfg.ZKHosts, SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout, Auth: cfg.Auth, TLS: tc, Logger: log}, nil
}
