package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/supervise"
)

// DefaultTimeout is notify_timeout's default: the most a run's
// notifications may add to the wrapper's exit.
const DefaultTimeout = 10 * time.Second

// Retries of a failing notify command: up to attempts tries in all, the
// waits between them exponential from retryBase with full jitter, capped at
// retryCap, and all of it within the timeout. A webhook that is briefly
// down (a deploy, a 502) is back within a second or two; three tries cover
// that without hammering a service that is really down.
const (
	attempts  = 3
	retryBase = 500 * time.Millisecond
	retryCap  = 4 * time.Second
)

// outputKept bounds the output of a failing notify command kept for the
// log: enough for curl's or sendmail's error line.
const outputKept = 1024

// Options configures delivery.
type Options struct {
	// Commands are the notify commands, each a shell command line run
	// with /bin/sh -c.
	Commands []string
	// Timeout bounds the whole delivery, retries included (0:
	// DefaultTimeout); a command still running then is killed with its
	// process group.
	Timeout time.Duration
	// Logger gets each attempt, failed or not (info); the zero Logger
	// discards them.
	Logger zerolog.Logger
}

// Deliver sends p to every command of o at once, each on stdin as one
// JSON object and in its environment (Payload.Env), retrying a command
// that fails. It returns within o.Timeout whatever the commands do, with
// the errors of the commands that never succeeded joined (nil when all
// did); they are logged too. A notification never fails the run: callers
// only log the error.
func Deliver(ctx context.Context, p Payload, o Options) error {
	if len(o.Commands) == 0 {
		return nil
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// The commands are killed a little before the timeout, so that their
	// goroutines can still log what happened before Deliver returns.
	ctx, cancel := context.WithTimeout(ctx, timeout-killMargin(timeout))
	defer cancel()
	errs := make([]error, len(o.Commands))
	var wg sync.WaitGroup
	for i, c := range o.Commands {
		wg.Go(func() { errs[i] = deliverOne(ctx, c, body, p, o.Logger) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		// Killed commands that still do not return (a pipe a stray
		// grandchild holds open) are not waited for.
		return fmt.Errorf("notify %s: %w", p.Event, context.DeadlineExceeded)
	}
	return errors.Join(errs...)
}

// killMargin is the part of the timeout kept for the killed commands to
// be reaped and logged: a fifth of it, at most 250 ms (the WaitDelay of
// runOnce and some).
func killMargin(timeout time.Duration) time.Duration {
	return min(timeout/5, 250*time.Millisecond)
}

// deliverOne runs one command until it succeeds, attempts run out, or ctx
// ends.
func deliverOne(ctx context.Context, command string, body []byte, p Payload, log zerolog.Logger) error {
	var err error
	for try := 1; try <= attempts; try++ {
		start := time.Now()
		var out string
		out, err = runOnce(ctx, command, body, p.Env())
		if err == nil {
			log.Info().Str("notify", command).Str("event", string(p.Event)).Str("lock", p.Job).Int("attempt", try).
				Int64("duration_ms", time.Since(start).Milliseconds()).Msg("notified")
			return nil
		}
		// Info: the log file has every attempt; the caller says once, on
		// stderr, that a notification was not delivered.
		log.Info().Err(err).Str("notify", command).Str("event", string(p.Event)).Str("lock", p.Job).Int("attempt", try).
			Str("output", out).Msg("notify command failed")
		if try == attempts || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(lock.Backoff(try, retryBase, retryCap)):
		case <-ctx.Done():
		}
	}
	return fmt.Errorf("notify command %q: %w", command, err)
}

// runOnce runs command once with body on stdin and env added, and returns
// the tail of its output.
func runOnce(ctx context.Context, command string, body []byte, env []string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(), env...)
	out := supervise.NewTail(outputKept)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that the timeout kills what the shell
	// started too (curl, sendmail), not only the shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A grandchild that escaped the group may hold the output pipe open:
	// stop reading it shortly after the kill.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// The command exited 0: it delivered. Only the capture of its
		// output was cut (something it started holds the pipe, or the
		// reading goroutine ran late on a loaded host); running it again
		// would deliver the event twice.
		err = nil
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (notify_timeout)", ctx.Err())
	}
	tail, _ := out.String()
	return tail, err
}
