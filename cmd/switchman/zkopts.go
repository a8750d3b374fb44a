package main

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/lock"
)

// sessionOptions builds the ZooKeeper session options from the config:
// servers, timeouts, digest credentials and TLS. A TLS file that cannot be
// read is a config error.
func sessionOptions(cfg *config.Config, log zerolog.Logger) (lock.Options, error) {
	o := lock.Options{
		Servers:        cfg.ZKHosts,
		SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout,
		Logger:         log,
		Auth:           cfg.Auth,
	}
	if cfg.TLS != nil {
		tc, err := cfg.TLS.ClientConfig()
		if err != nil {
			return o, &ExitError{Code: ExitConfig, Err: fmt.Errorf("%s: %w", cfg.Path, err)}
		}
		o.TLS = tc
	}
	return o, nil
}
