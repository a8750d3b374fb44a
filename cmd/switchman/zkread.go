package main

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// admin is what the operator commands (groups, status, kill, checks) share:
// the config and one ZooKeeper session.
type admin struct {
	app   *App
	cfg   *config.Config
	sess  *lock.Session
	store *fleet.Store
	log   zerolog.Logger
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
	opts, err := sessionOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	sess, err := lock.Dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &admin{app: app, cfg: cfg, sess: sess, store: fleet.New(sess, cfg.Prefix), log: log}, nil
}

// dialFleet is dialAdmin for the commands that read or write the fleet's
// state under the prefix: a missing prefix (a typo in the config) is an
// error wrapping lock.ErrNoPrefix, not an empty fleet.
func dialFleet(ctx context.Context, app *App, configPath string) (*admin, error) {
	a, err := dialAdmin(ctx, app, configPath)
	if err != nil {
		return nil, err
	}
	if err := a.store.RequirePrefix(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *admin) close() { a.sess.Close() }

// readData reads and parses the prefix znode's group data.
func (a *admin) readData() (*config.Data, error) {
	b, err := a.store.ReadData()
	if err != nil {
		return nil, err
	}
	d, err := config.ParseData(a.cfg.Prefix, b)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// readGroupData dials, reads and parses the prefix znode's data named by
// the config at configPath (or the default config), and hangs up: for the
// commands that need nothing else from ZooKeeper.
func readGroupData(ctx context.Context, app *App, configPath string) (*config.Data, error) {
	return readWith(ctx, app, configPath, dialAdmin, (*admin).readData)
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
