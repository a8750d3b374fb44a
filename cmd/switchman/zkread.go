package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/status"
)

// admin is what the operator commands (groups, status, kill, checks) share:
// the config and the fleet client of one ZooKeeper session.
type admin struct {
	app    *App
	cfg    *config.Config
	client *fleet.Client
	log    zerolog.Logger
}

// loadConfig finds and loads the config file as the wrapper does.
func loadConfig(app *App, configPath string) (*config.Config, error) {
	path, err := config.Find(configPath, app.Getenv)
	if err != nil {
		return nil, err
	}
	return config.Load(path)
}

// dialAdmin loads the config and connects. The caller closes the session.
func dialAdmin(ctx context.Context, app *App, configPath string) (*admin, error) {
	cfg, err := loadConfig(app, configPath)
	if err != nil {
		return nil, err
	}
	log, _, err := newLogger(app, cfg)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// The same session options as a run: auth_file and TLS apply to
	// operators' commands too.
	c, err := fleet.DialConfig(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	return &admin{app: app, cfg: cfg, client: c, log: log}, nil
}

// dialFleet is dialAdmin for the commands that read or write the fleet's
// state under the prefix: a missing prefix (a typo in the config) is an
// error wrapping lock.ErrNoPrefix, not an empty fleet.
func dialFleet(ctx context.Context, app *App, configPath string) (*admin, error) {
	a, err := dialAdmin(ctx, app, configPath)
	if err != nil {
		return nil, err
	}
	if err := a.client.Store().RequirePrefix(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *admin) close() { a.client.Close() }

// readGroupData dials, reads and parses the prefix znode's data named by
// the config at configPath (or the default config), and hangs up: for the
// commands that need nothing else from ZooKeeper.
func readGroupData(ctx context.Context, app *App, configPath string) (*config.Data, error) {
	snap, err := readFleet(ctx, app, configPath, dialAdmin, "", status.Groups)
	if err != nil {
		return nil, err
	}
	return snap.Data, nil
}

// readFleet connects with dial, reads the parts of the fleet (of job, if
// not "") and closes the session.
func readFleet(ctx context.Context, app *App, configPath string,
	dial func(context.Context, *App, string) (*admin, error), job string, parts status.Part) (*status.Snapshot, error) {
	return readWith(ctx, app, configPath, dial, func(a *admin) (*status.Snapshot, error) { return status.Read(a.client.Store(), job, parts) })
}

// readWith connects with dial, reads with read and closes the session.
func readWith[T any](ctx context.Context, app *App, configPath string,
	dial func(context.Context, *App, string) (*admin, error), read func(*admin) (T, error)) (T, error) {
	a, err := dial(ctx, app, configPath)
	if err != nil {
		var zero T
		return zero, err
	}
	defer a.close()
	return read(a)
}
