package main

import (
	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/lock"
)

// sessionOptions builds the ZooKeeper session options from the config:
// servers, timeouts, digest credentials and TLS, with log for the
// session's own reports. A TLS file that cannot be read is a config error.
// An operator's command tries one round (connect_timeout): the operator
// is there to try again.
func sessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	tc, err := cfg.ClientTLS()
	if err != nil {
		return lock.Options{}, err
	}
	return lock.Options{Servers: cfg.ZKHosts, SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout, Auth: cfg.Auth, TLS: tc, Logger: log}, nil
}

// runSessionOptions is sessionOptions for a run, which nobody watches:
// it keeps trying until start_deadline.
func runSessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	o, err := sessionOptions(cfg, log)
	o.StartDeadline = cfg.StartDeadline
	return o, err
}
