package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// DefaultPaths are the config files tried, in order, when neither --config nor
// $SWITCHMAN_CONFIG names one. The second is the original Perl tool's.
var DefaultPaths = []string{"/etc/switchman.yaml", "/etc/switchman.conf"}

// EnvVar names the environment variable that points at the config file.
const EnvVar = "SWITCHMAN_CONFIG"

// ErrNoConfig is returned by Find when no config file exists.
var ErrNoConfig = errors.New("config: no config file found")

// Defaults for optional keys.
const (
	DefaultSessionTimeout = 10 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	// DefaultStartDeadline is how long a run keeps trying for a session
	// before it gives up with "zookeeper unreachable": long enough for a
	// burst at the top of the minute to drain through a server's
	// connection limits with backoff, short next to cron's minute.
	DefaultStartDeadline      = 30 * time.Second
	DefaultTerminationTimeout = 10 * time.Second
	DefaultHistoryKeep        = 20
	// DefaultHistoryRuns is how many finished runs each job's history
	// keeps; DefaultFailureOutput how many bytes of a failing run's output
	// (the end of stdout and stderr together) it keeps with the run.
	DefaultHistoryRuns   = 50
	DefaultFailureOutput = 4096
	// DefaultSlotsKept is how many claimed slots each job with a schedule
	// keeps: a day of a job run every quarter hour, a hundred days of a
	// daily one. A claim is about 100 bytes.
	DefaultSlotsKept = 100
	// DefaultSlotSkew is how far apart hosts' clocks, and a loaded cron's
	// firing, may be: NTP keeps clocks within a second, and a cron under
	// load or a slow connect takes tens of seconds; a minute covers both.
	DefaultSlotSkew = time.Minute
	// DefaultNotifyTimeout bounds how long a run's notifications may
	// delay the wrapper's exit: long enough for a webhook's round trip
	// and a retry, short next to cron's minute.
	DefaultNotifyTimeout = 10 * time.Second
	// DefaultNotifyRepeat is how often a reminder says that a job still
	// fails: once a day, as Kuroko2 mails its owners.
	DefaultNotifyRepeat = 24 * time.Hour
	// maxFailureOutput keeps a few failures' output within a job's history
	// bound (64 KB).
	maxFailureOutput = 16384
)

// Config is a validated config file.
type Config struct {
	// Path is the file the config was read from.
	Path string
	// ZKHosts lists the ZooKeeper servers as host:port.
	ZKHosts []string
	// Prefix is the absolute znode path holding group data, locks, queues
	// and semaphores.
	Prefix string
	// SessionTimeout is the ZooKeeper session timeout asked for.
	SessionTimeout time.Duration
	// ConnectTimeout bounds one attempt round over the servers.
	ConnectTimeout time.Duration
	// StartDeadline bounds the attempt rounds, with backoff between them,
	// until a run has a ZooKeeper session (never below ConnectTimeout).
	StartDeadline time.Duration
	// TerminationTimeout is the grace between SIGTERM and SIGKILL.
	TerminationTimeout time.Duration
	// ResourcesWaitTimeout bounds the wait in lease queues; 0 means none.
	ResourcesWaitTimeout time.Duration
	// LogFile, when set, receives JSON log lines at LogLevel.
	LogFile string
	// LogLevel is a zerolog level name, already normalised.
	LogLevel string
	// LogFormat is the log file's line format: "json" (the default) or
	// "text", the original tool's tab-separated lines.
	LogFormat string
	// DataReadLen is accepted for compatibility with the original and ignored.
	DataReadLen int
	// Hostname overrides this host's identity (its FQDN) when set.
	Hostname string
	// SkippedExitCode is the exit status of a run that did not start because
	// the lock was busy or this host is not in the group (default 0).
	SkippedExitCode int
	// AuthFile names a file holding ZooKeeper digest credentials
	// ("user:password"); empty means no authentication.
	AuthFile string
	// Auth is the content of AuthFile, read and checked by Load; Parse
	// leaves it empty.
	Auth string
	// TLS, when set, makes every ZooKeeper connection TLS.
	TLS *TLS
	// HistoryKeep is how many versions of the group data `switchman groups`
	// keeps under the prefix (default DefaultHistoryKeep).
	HistoryKeep int
	// MetricsTextfileDir, when set, receives a Prometheus textfile per job
	// at each finish, for node_exporter's textfile collector.
	MetricsTextfileDir string
	// Original is set for a JSON config, the original tool's format, which
	// is read as the original read it: see Parse.
	Original bool
	// Warnings are what Parse let pass in an original config (unknown keys,
	// a termination timeout longer than the session timeout), one sentence
	// each, for the log and for doctor.
	Warnings []string
	// HistoryRuns is how many finished runs each job's history keeps
	// (default DefaultHistoryRuns).
	HistoryRuns int
	// SlotsKept is how many claimed slots each job with a schedule keeps
	// (default DefaultSlotsKept); a slot older than all of them never runs.
	SlotsKept int
	// SlotSkew is how far apart the hosts' clocks, and a loaded cron's
	// firing, may be (default DefaultSlotSkew): a slot is missed, for
	// catch-up, `check missed`, `check stale` and status, only this long
	// (plus the standby turns) after it, since a host that fires it late
	// may still claim it until then.
	SlotSkew time.Duration
	// FailureOutput is how many bytes of a failing run's output the history
	// keeps with it (default DefaultFailureOutput); 0 keeps none, and the
	// child then writes straight to switchman's stdout and stderr.
	FailureOutput int
	// Cgroups runs each command in a cgroup of its own where the host
	// allows it (key cgroup: auto, the default); cgroup: off runs every
	// command as on a host without cgroups.
	Cgroups bool
	// Splay is the splay that `switchman crontab generate` writes into
	// the lines of blocks that set none (0: none). A run does not read it:
	// its --splay is on its line.
	Splay time.Duration
	// Notify are the notify commands (shell command lines) that get each
	// event a run fires; none: no notifications.
	Notify []string
	// NotifyTimeout bounds the delivery of a run's notifications, retries
	// included (default DefaultNotifyTimeout).
	NotifyTimeout time.Duration
	// NotifyAfter is how many consecutive failures of a job, fleet-wide,
	// fire its "failed" event (default 1).
	NotifyAfter int
	// NotifyRepeat is how often a job that still fails after a notified
	// failure fires a "reminder" (default DefaultNotifyRepeat; 0: never).
	NotifyRepeat time.Duration
	// Notifiers are named lists of notify commands: a job that names one
	// (--notify NAME, METADATA notify:) gets its events through those
	// instead of Notify.
	Notifiers map[string][]string
	// DashboardURL is where `switchman serve` is reached; notifications
	// link to the job's page under it ("": no link).
	DashboardURL string
	// authLine is the line of the auth_file key, for Load's errors.
	authLine int
}

// Find returns the config file to read: explicit when set, else the file
// named by $SWITCHMAN_CONFIG, else the first of DefaultPaths that exists.
func Find(explicit string, getenv func(string) string) (string, error) {
	path, _, err := Locate(explicit, getenv)
	return path, err
}

// Locate is Find that also says why that file is the one in effect, for
// doctor: a host may have both the original's /etc/switchman.conf and
// /etc/switchman.yaml, and then only one of them counts.
func Locate(explicit string, getenv func(string) string) (path, why string, err error) {
	if explicit != "" {
		return explicit, "given with --config", nil
	}
	if p := getenv(EnvVar); p != "" {
		return p, "named by $" + EnvVar, nil
	}
	for i, p := range DefaultPaths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		why = "the first of " + strings.Join(DefaultPaths, ", ") + " that exists"
		for _, later := range DefaultPaths[i+1:] {
			if _, err := os.Stat(later); err == nil {
				why += "; " + later + " also exists and is ignored"
			}
		}
		return p, why, nil
	}
	return "", "", fmt.Errorf("%w (tried --config, $%s, %s)", ErrNoConfig, EnvVar, strings.Join(DefaultPaths, ", "))
}

// Load reads and validates the config file at path. Every error it
// returns is a *FileError.
func Load(path string) (*Config, error) {
	c, err := load(path)
	if err != nil {
		return nil, &FileError{Err: err}
	}
	return c, nil
}

func load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: config file does not exist", path)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c, err := Parse(path, data)
	if err != nil || c.AuthFile == "" {
		return c, err
	}
	if c.Auth, err = ReadAuthFile(c.AuthFile); err != nil {
		return nil, fmt.Errorf("%s: line %d: key \"auth_file\": %w", path, c.authLine, err)
	}
	return c, nil
}

// Parse validates config file content; name is used in error messages.
//
// A file whose first non-blank character is "{" is JSON, the original
// tool's /etc/switchman.conf, and loads unchanged as the original loaded
// it: a key this tool does not know is ignored (the original ignored every
// key it did not use, so such files carry comments and other tools' keys),
// a key given twice takes its last value (as Perl's JSON), and a
// termination_timeout longer than session_timeout is kept (a stop after a
// lost session uses a shorter grace anyway); each becomes one of Warnings.
// A YAML file, written for this tool, is strict: each of those is an error.
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML or JSON: %s", name, yamlMsg(err))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config file; zkhosts and prefix are required", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: config must be a mapping of keys to values", name, root.Line)
	}
	c := &Config{
		Path:               name,
		SessionTimeout:     DefaultSessionTimeout,
		ConnectTimeout:     DefaultConnectTimeout,
		StartDeadline:      DefaultStartDeadline,
		TerminationTimeout: DefaultTerminationTimeout,
		LogLevel:           "info",
		HistoryKeep:        DefaultHistoryKeep,
		HistoryRuns:        DefaultHistoryRuns,
		FailureOutput:      DefaultFailureOutput,
		Cgroups:            true,
		SlotsKept:          DefaultSlotsKept,
		SlotSkew:           DefaultSlotSkew,
		NotifyTimeout:      DefaultNotifyTimeout,
		NotifyAfter:        1,
		NotifyRepeat:       DefaultNotifyRepeat,
	}
	c.Original = isJSON(data)
	if err := c.setKeys(name, root); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// isJSON reports whether config content is JSON: its first non-blank
// character opens an object.
func isJSON(data []byte) bool {
	s := strings.TrimLeft(string(data), " \t\r\n\ufeff")
	return strings.HasPrefix(s, "{")
}

func (c *Config) setKeys(name string, root *yaml.Node) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if line, dup := seen[k.Value]; dup {
			if !c.Original {
				return fmt.Errorf("%s: line %d: key %q given twice", name, k.Line, k.Value)
			}
			c.warnf("line %d: key %q given again (first on line %d); the last value counts, as in the original", k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		set, ok := keySetters[k.Value]
		if !ok {
			if !c.Original {
				return fmt.Errorf("%s: line %d: unknown key %q (known: %s)", name, k.Line, k.Value, knownKeys())
			}
			c.warnf("line %d: unknown key %q ignored, as the original ignores it (known: %s)", k.Line, k.Value, knownKeys())
			continue
		}
		if err := set(c, v); err != nil {
			return fmt.Errorf("%s: line %d: key %q: %w", name, v.Line, k.Value, err)
		}
	}
	return nil
}

func (c *Config) warnf(format string, a ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, a...))
}

func (c *Config) validate() error {
	if len(c.ZKHosts) == 0 {
		return errors.New(`key "zkhosts" is required (e.g. "zk1:2181,zk2:2181")`)
	}
	if c.Prefix == "" {
		return errors.New(`key "prefix" is required (an absolute znode path, e.g. "/switchman")`)
	}
	if c.NotifyAfter > c.HistoryRuns {
		// The failures are counted in the job's history: a longer streak
		// could never be seen, and "failed" would never fire.
		return fmt.Errorf(`key "notify_after" (%d) must not exceed "history_runs" (%d): failures are counted in the job's history`,
			c.NotifyAfter, c.HistoryRuns)
	}
	if c.TerminationTimeout > c.SessionTimeout {
		if !c.Original {
			return fmt.Errorf(`key "termination_timeout" (%s) must not exceed "session_timeout" (%s): the whole stop must fit before the session can expire`,
				c.TerminationTimeout, c.SessionTimeout)
		}
		c.warnf(`key "termination_timeout" (%s) exceeds "session_timeout" (%s): kept for a planned stop (group moved, paused, killed); a stop after a lost session uses a grace that ends before the session can expire`,
			c.TerminationTimeout, c.SessionTimeout)
	}
	return nil
}

type setter func(*Config, *yaml.Node) error

var keySetters = map[string]setter{
	"zkhosts":                setZKHosts,
	"prefix":                 func(c *Config, n *yaml.Node) error { return setPrefix(c, n) },
	"session_timeout":        durationKey(func(c *Config) *time.Duration { return &c.SessionTimeout }, time.Second, 10*time.Minute),
	"connect_timeout":        durationKey(func(c *Config) *time.Duration { return &c.ConnectTimeout }, 100*time.Millisecond, 10*time.Minute),
	"start_deadline":         durationKey(func(c *Config) *time.Duration { return &c.StartDeadline }, 100*time.Millisecond, time.Hour),
	"termination_timeout":    durationKey(func(c *Config) *time.Duration { return &c.TerminationTimeout }, 0, time.Hour),
	"resources_wait_timeout": durationKey(func(c *Config) *time.Duration { return &c.ResourcesWaitTimeout }, 0, 365*24*time.Hour),
	"logfile":                stringKey(func(c *Config) *string { return &c.LogFile }),
	"loglevel":               scalarKey(func(c *Config) *string { return &c.LogLevel }, NormalizeLogLevel),
	"log_format":             scalarKey(func(c *Config) *string { return &c.LogFormat }, checked(checkLogFormat)),
	"data_read_len":          intKey(func(c *Config) *int { return &c.DataReadLen }, 0, math.MaxInt32),
	"hostname":               scalarKey(func(c *Config) *string { return &c.Hostname }, checked(ValidateHostname)),
	"skipped_exit_code":      intKey(func(c *Config) *int { return &c.SkippedExitCode }, 0, 255),
	"history_keep":           intKey(func(c *Config) *int { return &c.HistoryKeep }, 1, 1000),
	"metrics_textfile_dir":   stringKey(func(c *Config) *string { return &c.MetricsTextfileDir }),
	"history_runs":           intKey(func(c *Config) *int { return &c.HistoryRuns }, 1, 1000),
	"failure_output":         intKey(func(c *Config) *int { return &c.FailureOutput }, 0, maxFailureOutput),
	"cgroup":                 scalarKey(func(c *Config) *bool { return &c.Cgroups }, parseCgroup),
	"slots_kept":             intKey(func(c *Config) *int { return &c.SlotsKept }, 1, 10000),
	"slot_skew":              durationKey(func(c *Config) *time.Duration { return &c.SlotSkew }, time.Second, time.Hour),
	"splay":                  scalarKey(func(c *Config) *time.Duration { return &c.Splay }, ParseSplay),
	"notify":                 setNotify,
	"notify_timeout":         durationKey(func(c *Config) *time.Duration { return &c.NotifyTimeout }, 100*time.Millisecond, 10*time.Minute),
	"notify_after":           intKey(func(c *Config) *int { return &c.NotifyAfter }, 1, 1000),
	"notify_repeat":          durationKey(func(c *Config) *time.Duration { return &c.NotifyRepeat }, 0, 365*24*time.Hour),
	"notifiers":              setNotifiers,
	"dashboard_url":          stringKey(func(c *Config) *string { return &c.DashboardURL }),
	"auth_file":              setAuthFile,
	"tls":                    setTLS,
}

func knownKeys() string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("must be a single value, got a %s", kindName(n))
	}
	return n.Value, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}

// scalarKey is the setter of a single-value key: parse checks and converts
// the value, and what it returns goes to field.
func scalarKey[T any](field func(*Config) *T, parse func(string) (T, error)) setter {
	return func(c *Config, n *yaml.Node) error {
		s, err := scalar(n)
		if err != nil {
			return err
		}
		v, err := parse(s)
		if err != nil {
			return err
		}
		*field(c) = v
		return nil
	}
}

// checked turns a check into a parse for scalarKey that keeps the value.
func checked(check func(string) error) func(string) (string, error) {
	return func(s string) (string, error) { return s, check(s) }
}

// stringKey is the setter of a key whose value must be a YAML string (not
// a number or a boolean, which could only be a mistake).
func stringKey(field func(*Config) *string) setter {
	set := scalarKey(field, func(s string) (string, error) { return s, nil })
	return func(c *Config, n *yaml.Node) error {
		if n.Kind == yaml.ScalarNode && n.Tag != "!!str" {
			return fmt.Errorf("must be a string, got %q", n.Value)
		}
		return set(c, n)
	}
}

func intKey(field func(*Config) *int, min, max int) setter {
	return scalarKey(field, func(s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < min || v > max {
			return 0, fmt.Errorf("must be a whole number from %d to %d, got %q", min, max, s)
		}
		return v, nil
	})
}

// durationKey accepts a number of seconds (the original's form, fractions
// allowed) or a Go duration string such as "1m30s".
func durationKey(field func(*Config) *time.Duration, min, max time.Duration) setter {
	return scalarKey(field, func(s string) (time.Duration, error) {
		d, err := ParseSeconds(s)
		if err == nil && (d < min || d > max) {
			err = fmt.Errorf("must be between %s and %s, got %q", min, max, s)
		}
		return d, err
	})
}

// ParseSeconds parses a duration given as a number of seconds ("10", "0.5")
// or as a Go duration ("10s", "1m30s"). Negative values are an error.
func ParseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || math.IsNaN(f) || f > float64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("must be a non-negative number of seconds, got %q", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("must be a number of seconds or a duration like \"30s\", got %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative, got %q", s)
	}
	return d, nil
}

func setZKHosts(c *Config, n *yaml.Node) error {
	var items []string
	switch n.Kind {
	case yaml.ScalarNode:
		items = strings.Split(n.Value, ",")
	case yaml.SequenceNode:
		for _, e := range n.Content {
			s, err := scalar(e)
			if err != nil {
				return fmt.Errorf("list item: %w", err)
			}
			items = append(items, s)
		}
	default:
		return fmt.Errorf("must be \"host:port,host:port\" or a list, got a %s", kindName(n))
	}
	hosts, err := ParseZKHosts(items)
	if err != nil {
		return err
	}
	c.ZKHosts = hosts
	return nil
}

// setNotify reads the notify commands: one command line or a list of
// them, none empty.
func setNotify(c *Config, n *yaml.Node) error {
	cmds, err := notifyCommands(n)
	c.Notify = cmds
	return err
}

// notifyCommands reads a command line or a list of them.
func notifyCommands(n *yaml.Node) ([]string, error) {
	items := []*yaml.Node{n}
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.SequenceNode:
		items = n.Content
	default:
		return nil, fmt.Errorf("must be a command line or a list of them, got a %s", kindName(n))
	}
	var cmds []string
	for _, e := range items {
		s, err := scalar(e)
		if err != nil {
			return nil, fmt.Errorf("list item: %w", err)
		}
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("a notify command must not be empty")
		}
		cmds = append(cmds, s)
	}
	return cmds, nil
}

// setNotifiers reads the map NAME: command line or list of them. A NAME
// is what --notify takes: a word of letters, digits, '-', '_' and '.'.
func setNotifiers(c *Config, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a map of names to notify commands, got a %s", kindName(n))
	}
	c.Notifiers = map[string][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		if err := ValidateNotifierName(name); err != nil {
			return err
		}
		cmds, err := notifyCommands(n.Content[i+1])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.Notifiers[name] = cmds
	}
	return nil
}

// ValidateNotifierName checks a notifier's name (config notifiers,
// --notify, METADATA notify:).
func ValidateNotifierName(name string) error {
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return fmt.Errorf("notifier name %q: use letters, digits, '-', '_' and '.'", name)
	}
	return nil
}

// AllNotifyCommands returns every notify command the config names: those
// of notify, then those of each notifier by name, each once.
func (c *Config) AllNotifyCommands() []string {
	all := slices.Clone(c.Notify)
	for _, name := range slices.Sorted(maps.Keys(c.Notifiers)) {
		all = append(all, c.Notifiers[name]...)
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(all, func(s string) bool {
		dup := seen[s]
		seen[s] = true
		return dup
	})
}

// ErrNoNotifier means a job names a notifier (--notify NAME) that the
// config's notifiers do not define.
var ErrNoNotifier = errors.New("config: no such notifier")

// NotifyCommands returns the notify commands of a job that names the
// notifier name: the config's notifiers[name], or Notify when name is "".
// An undefined name is an error wrapping ErrNoNotifier, as a *FileError
// (exit 78) naming the file and the key.
func (c *Config) NotifyCommands(name string) ([]string, error) {
	if name == "" {
		return c.Notify, nil
	}
	if cmds, ok := c.Notifiers[name]; ok {
		return cmds, nil
	}
	return nil, &FileError{Err: fmt.Errorf("%s: key \"notifiers\" has no %q (--notify %s): %w", c.Path, name, name, ErrNoNotifier)}
}

// ParseZKHosts validates ZooKeeper server addresses. A chroot suffix
// ("h:2181/app") is refused: switchman scopes itself with prefix instead.
func ParseZKHosts(items []string) ([]string, error) {
	var hosts []string
	for _, h := range items {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if i := strings.IndexByte(h, '/'); i >= 0 {
			return nil, fmt.Errorf("chroot %q in %q is not supported: remove it and put the path in \"prefix\"", h[i:], h)
		}
		host, port, ok := strings.Cut(h, ":")
		if !ok {
			port = "2181"
			h += ":2181"
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || host == "" {
			return nil, fmt.Errorf("%q is not host:port", h)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, errors.New("must name at least one host:port")
	}
	return hosts, nil
}

func setPrefix(c *Config, n *yaml.Node) error {
	s, err := scalar(n)
	if err != nil {
		return err
	}
	if err := ValidatePath(s); err != nil {
		return err
	}
	c.Prefix = strings.TrimSuffix(s, "/")
	return nil
}

// ValidatePath checks an absolute znode path: it starts with "/", has no
// empty, "." or ".." components and no control characters.
func ValidatePath(p string) error {
	if !strings.HasPrefix(p, "/") || p == "/" {
		return fmt.Errorf("must be an absolute znode path below the root like \"/switchman\", got %q", p)
	}
	for _, part := range strings.Split(strings.TrimSuffix(p[1:], "/"), "/") {
		if err := ValidateNodeName(part); err != nil {
			return fmt.Errorf("path %q: %w", p, err)
		}
	}
	return nil
}

// MaxNodeName is the longest lock name (and znode name) accepted, in bytes.
const MaxNodeName = 512

// ValidateNodeName checks that s can be one znode name: not empty, not "."
// or "..", no "/", no control characters, valid UTF-8, at most MaxNodeName
// bytes. Lock names and resource names are checked with it.
func ValidateNodeName(s string) error {
	switch {
	case s == "":
		return errors.New("name is empty")
	case s == "." || s == "..":
		return fmt.Errorf("name %q is reserved", s)
	case len(s) > MaxNodeName:
		return fmt.Errorf("name is %d bytes long, the limit is %d", len(s), MaxNodeName)
	case !utf8.ValidString(s):
		return fmt.Errorf("name %q is not valid UTF-8", s)
	}
	for _, r := range s {
		if r == '/' {
			return fmt.Errorf("name %q contains \"/\"", s)
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || r == 0xfff0 || r == 0xfffe || r == 0xffff {
			return fmt.Errorf("name %q contains a control or reserved character %U", s, r)
		}
	}
	return nil
}

// NormalizeLogLevel maps the original's level names (debug, info, notice,
// warning, error, critical, alert, emergency) and zerolog's (trace, debug,
// info, warn, error, fatal, panic, disabled) to a zerolog level name.
func NormalizeLogLevel(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return "trace", nil
	case "debug":
		return "debug", nil
	case "info", "notice":
		return "info", nil
	case "warn", "warning":
		return "warn", nil
	case "error", "err", "critical", "crit":
		return "error", nil
	case "fatal", "alert", "emergency", "emerg":
		return "fatal", nil
	case "panic":
		return "panic", nil
	case "disabled", "off", "none":
		return "disabled", nil
	}
	return "", fmt.Errorf("unknown level %q (use debug, info, warning, error, critical)", s)
}

// Log formats of the log file.
const (
	LogJSON = "json"
	LogText = "text"
)

func checkLogFormat(s string) error {
	if s != LogJSON && s != LogText {
		return fmt.Errorf("must be %q or %q (the original's tab-separated lines), got %q", LogJSON, LogText, s)
	}
	return nil
}

// The values of the cgroup key.
const (
	// CgroupAuto gives each run a cgroup of its own where the host allows.
	CgroupAuto = "auto"
	// CgroupOff gives no run a cgroup.
	CgroupOff = "off"
)

// parseCgroup reads the cgroup key: whether runs get cgroups.
func parseCgroup(s string) (bool, error) {
	switch s {
	case CgroupAuto:
		return true, nil
	case CgroupOff:
		return false, nil
	}
	return false, fmt.Errorf("must be %q (a cgroup per run where the host allows) or %q, got %q", CgroupAuto, CgroupOff, s)
}

// ValidateHostname checks a host identity as used in group data: letters,
// digits, '-', '_' and '.' only, at most 253 bytes, not empty.
func ValidateHostname(s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("host name must be 1 to 253 characters, got %q", s)
	}
	for _, r := range s {
		if !(r == '-' || r == '.' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return fmt.Errorf("host name %q: character %q not allowed (letters, digits, '-', '_', '.')", s, r)
		}
	}
	return nil
}

func yamlMsg(err error) string {
	return strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; ")
}
