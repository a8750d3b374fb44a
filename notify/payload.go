package notify

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Payload is one event as a notify command gets it: one JSON object on
// stdin, and the same fields in its environment (see Env). The README's
// "Notification payload" table documents every field; a test ties the
// two together.
type Payload struct {
	// Job is the job's lock name.
	Job string `json:"job"`
	// Event is what happened.
	Event Event `json:"event"`
	// Host is the host that ran the run and sends the event.
	Host string `json:"host"`
	// Slot is the scheduled time the run claimed (--schedule), if any.
	Slot time.Time `json:"slot,omitzero"`
	// Time is when the run finished (or the event was noticed).
	Time time.Time `json:"time"`
	// ExitStatus is the command's exit status (128+N for signal N).
	ExitStatus int `json:"exit_status"`
	// Result is the run's result word: success, failure, timeout, ...
	Result string `json:"result"`
	// DurationMS is how long the command ran, in milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// Output is the tail of a failing run's stdout and stderr.
	Output string `json:"output,omitempty"`
	// OutputCut says that Output is only the end of a longer output.
	OutputCut bool `json:"output_cut,omitempty"`
	// FencingToken is the run's fencing token (0: none, a run without a
	// lock).
	FencingToken int64 `json:"fencing_token,omitempty"`
	// DashboardURL links to the job on the dashboard when the config sets
	// dashboard_url.
	DashboardURL string `json:"dashboard_url,omitempty"`
	// Test marks a sample event sent by `switchman notify test`.
	Test bool `json:"test,omitempty"`
}

// The Result of an event that no finished run tells: a run past its
// expected duration is still running, and a missed slot never ran.
// ExitStatus is then -1.
const (
	ResultRunning = "running"
	ResultMissed  = "missed"
)

// JobLink returns the dashboard page of job under base (a dashboard_url),
// or "" when base is "".
func JobLink(base, job string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/#job-" + url.PathEscape(job)
}

// EnvPrefix starts the name of every variable Env sets.
const EnvPrefix = "SWITCHMAN_"

// Env returns p's fields as environment entries NAME=value, the JSON
// field's name upper-cased after EnvPrefix (SWITCHMAN_EVENT=failed, ...).
// A field the JSON would leave out is left out here too.
func (p Payload) Env() []string {
	var env []string
	add := func(name, v string) {
		if v != "" {
			env = append(env, EnvPrefix+strings.ToUpper(name)+"="+v)
		}
	}
	add("job", p.Job)
	add("event", string(p.Event))
	add("host", p.Host)
	if !p.Slot.IsZero() {
		add("slot", p.Slot.UTC().Format(time.RFC3339))
	}
	add("time", p.Time.UTC().Format(time.RFC3339Nano))
	add("exit_status", strconv.Itoa(p.ExitStatus))
	add("result", p.Result)
	add("duration_ms", strconv.FormatInt(p.DurationMS, 10))
	add("output", p.Output)
	if p.OutputCut {
		add("output_cut", "true")
	}
	if p.FencingToken != 0 {
		add("fencing_token", strconv.FormatInt(p.FencingToken, 10))
	}
	add("dashboard_url", p.DashboardURL)
	if p.Test {
		add("test", "true")
	}
	return env
}
