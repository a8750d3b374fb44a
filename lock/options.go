package lock

import (
	"fmt"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
)

// OptionsFor returns the session options a config file asks for: servers,
// timeouts, digest credentials and TLS, with log for the session's own
// reports. A TLS file that cannot be read is an error naming the config.
func OptionsFor(cfg *config.Config, log zerolog.Logger) (Options, error) {
	o := Options{
		Servers:        cfg.ZKHosts,
		SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout,
		Logger:         log,
		Auth:           cfg.Auth,
	}
	if cfg.TLS != nil {
		tc, err := cfg.TLS.ClientConfig()
		if err != nil {
			return o, &config.FileError{Err: fmt.Errorf("%s: %w", cfg.Path, err)}
		}
		o.TLS = tc
	}
	return o, nil
}
