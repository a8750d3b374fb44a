package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotDelivered means a notify command did not take a sample event
// (`switchman notify test`).
var ErrNotDelivered = errors.New("notify: not delivered")

// SampleJob names the job of a sample event when none is given.
const SampleJob = "switchman-notify-test"

// Sample returns a sample event for job as host would send it at now: a
// "failed" event of a made-up run, marked Test so that a receiver can tell
// it from a real one.
func Sample(job, host, dashboardURL string, now time.Time) Payload {
	if job == "" {
		job = SampleJob
	}
	return Payload{Job: job, Event: Failed, Host: host, Time: now.UTC(), ExitStatus: 1, Result: "failure",
		DurationMS: 1234, Output: "this is a test notification from switchman notify test\n",
		DashboardURL: JobLink(dashboardURL, job), Test: true}
}

// Outcome is how one notify command took an event.
type Outcome struct {
	Command string
	// Err is nil when the command took the event (exit 0), within its
	// retries.
	Err error
}

// Try sends p through each command of o in turn, each as Deliver would
// (retries, o.Timeout each), and returns one Outcome per command.
func Try(ctx context.Context, p Payload, o Options) []Outcome {
	out := make([]Outcome, 0, len(o.Commands))
	for _, c := range o.Commands {
		one := o
		one.Commands = []string{c}
		out = append(out, Outcome{Command: c, Err: Deliver(ctx, p, one)})
	}
	return out
}

// Check reports whether the shell command line command can run here: its
// program (after any VAR=value assignments) is found on PATH or is an
// executable file, and for a shell given a script (sh FILE ...) the script
// is a readable file. It cannot see further into the line (pipes,
// quoting): a nil error is no promise that the command works.
func Check(command string) error {
	words := strings.Fields(command)
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "=") {
		words = words[1:]
	}
	if len(words) == 0 {
		return fmt.Errorf("%q runs nothing", command)
	}
	path, err := exec.LookPath(words[0])
	if err != nil {
		return fmt.Errorf("%s: %w", words[0], err)
	}
	switch filepath.Base(path) {
	case "sh", "bash", "dash":
		if len(words) > 1 && !strings.HasPrefix(words[1], "-") {
			f, err := os.Open(words[1])
			if err != nil {
				return fmt.Errorf("script: %w", err)
			}
			f.Close()
		}
	}
	return nil
}
