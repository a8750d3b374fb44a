package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
)

// newLogger builds the one logger of a run: warnings and errors to stderr in
// a human format (cron mails them), JSON lines at the configured level to
// the log file. DEBUG=1 sends debug output to stderr, as the original.
// The returned function closes the log file.
func newLogger(app *App, cfg *config.Config) (zerolog.Logger, func(), error) {
	stderrLevel := zerolog.WarnLevel
	if d := app.Getenv("DEBUG"); d != "" && d != "0" {
		stderrLevel = zerolog.DebugLevel
	}
	console := zerolog.ConsoleWriter{Out: app.Stderr, NoColor: true, TimeFormat: time.DateTime,
		PartsExclude: []string{zerolog.TimestampFieldName}}
	writers := []io.Writer{levelFilter{w: console, min: stderrLevel}}
	min := stderrLevel
	closeFn := func() {}
	if cfg != nil && cfg.LogFile != "" {
		lvl, err := zerolog.ParseLevel(cfg.LogLevel)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("%s: key \"loglevel\": %w", cfg.Path, err)
		}
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("%s: key \"logfile\": %w", cfg.Path, err)
		}
		closeFn = func() { f.Close() }
		writers = append(writers, levelFilter{w: f, min: lvl})
		if lvl < min {
			min = lvl
		}
	}
	l := zerolog.New(zerolog.MultiLevelWriter(writers...)).Level(min).With().Timestamp().
		Int("switchman_pid", os.Getpid()).Logger()
	return l, closeFn, nil
}

// levelFilter passes on only events at or above min.
type levelFilter struct {
	w   io.Writer
	min zerolog.Level
}

func (f levelFilter) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f levelFilter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if l < f.min {
		return len(p), nil
	}
	return f.w.Write(p)
}
