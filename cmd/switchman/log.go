package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/logfile"
)

// newLogger builds the one logger of a run: warnings and errors to stderr in
// a human format (cron mails them), JSON lines at the configured level to
// the log file. DEBUG=1 sends debug output to stderr, as the original.
//
// A log file that cannot be opened never stops the run: the job matters
// more than switchman's own log, so the logger then writes to stderr only
// and its first line says why (cron mails it, so the admin hears of it).
// The returned function closes the log file.
func newLogger(app *App, cfg *config.Config) (zerolog.Logger, func(), error) {
	stderrLevel := zerolog.WarnLevel
	if d := app.Getenv("DEBUG"); d != "" && d != "0" {
		stderrLevel = zerolog.DebugLevel
	}
	console := zerolog.ConsoleWriter{Out: app.Stderr, NoColor: true, TimeFormat: time.DateTime,
		PartsExclude: []string{zerolog.TimestampFieldName}}
	writers := []io.Writer{logfile.Filter(console, stderrLevel)}
	lowest := stderrLevel
	closeFn := func() {}
	var openErr error
	if cfg != nil && cfg.LogFile != "" {
		lvl, err := zerolog.ParseLevel(cfg.LogLevel)
		if err != nil {
			return zerolog.Nop(), nil, &config.FileError{Err: fmt.Errorf("%s: key \"loglevel\": %w", cfg.Path, err)}
		}
		f, err := logfile.Open(logfile.Path(cfg.LogFile))
		if err == nil {
			c := logfile.NewClosing(f)
			closeFn = func() { c.Close() }
			var w io.Writer = c
			if cfg.LogFormat == config.LogText {
				w = logfile.Text(c)
			}
			writers = append(writers, logfile.Filter(w, lvl))
			lowest = min(lowest, lvl)
		}
		openErr = err
	}
	l := zerolog.New(zerolog.MultiLevelWriter(writers...)).Level(lowest).With().Timestamp().
		Int(logfile.PIDField, os.Getpid()).Logger()
	if openErr != nil {
		l.Warn().Err(openErr).Msgf("%s: key \"logfile\": logging to stderr only (run switchman doctor)", cfg.Path)
	}
	return l, closeFn, nil
}
