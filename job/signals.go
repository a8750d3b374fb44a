package job

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// stopSignals are the signals switchman forwards to the child's process
// group; it then waits for the child, releases the lock and exits.
var stopSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}

// stops is a run's one registration of the stop signals. Until the
// command starts, the first signal cancels setup (connecting, waiting,
// checking) and the run ends with 128+N, nothing started. Once started()
// is called, signals stay in caught for the supervisor, which forwards
// them to the child: a signal between the two is not lost, and none kills
// switchman outright.
type stops struct {
	// setup is cancelled, with a signalCause, by a signal before the start.
	setup  context.Context
	caught chan os.Signal

	cancel   context.CancelCauseFunc
	quit     chan struct{}
	done     chan struct{}
	stopping bool
}

// catchStops registers the stop signals and starts watching for one.
func catchStops(ctx context.Context) *stops {
	s := &stops{caught: make(chan os.Signal, 2*len(stopSignals)),
		quit: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(s.caught, stopSignals...)
	s.setup, s.cancel = context.WithCancelCause(ctx)
	go func() {
		defer close(s.done)
		select {
		case sig := <-s.caught:
			s.cancel(signalCause{sig.(syscall.Signal)})
		case <-s.quit:
		}
	}()
	return s
}

// started ends the watching: later signals stay in caught. It returns
// the signal's cause when one came during setup, else err.
func (s *stops) started(err error) error {
	if !s.stopping {
		s.stopping = true
		close(s.quit)
		<-s.done
		s.cancel(nil) // keeps a signal's cause if one came first
	}
	if sig := s.early(); sig != nil {
		return *sig
	}
	return err
}

// early returns the signal that came before the start, if any.
func (s *stops) early() *signalCause {
	if sig, ok := context.Cause(s.setup).(signalCause); ok {
		return &sig
	}
	return nil
}

// release unregisters the signals.
func (s *stops) release() { signal.Stop(s.caught) }

// signalCause is the cause of the setup context when a stop signal arrived.
type signalCause struct{ sig syscall.Signal }

func (s signalCause) Error() string { return "stopped by " + unix.SignalName(s.sig) }
