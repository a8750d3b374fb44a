package zktest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SwitchmanConfig is a switchman config file pointing at a test's
// ZooKeeper (not ZooKeeper's own zoo.cfg, which Options describes): the one
// writer of such files for the tests, the demo, the fault suite and the
// benchmark. Each field is one key, written as given, so that a test can
// use every form switchman accepts ("4s", "0.5", "1") and malformed ones
// too; an empty field is left out, and switchman's default applies.
type SwitchmanConfig struct {
	Hosts              string // zkhosts: host:port[,host:port...]
	Prefix             string // prefix
	SessionTimeout     string // session_timeout
	ConnectTimeout     string // connect_timeout
	TerminationTimeout string // termination_timeout
	Logfile            string // logfile
	Loglevel           string // loglevel
	// Extra holds further lines, written verbatim after the keys above: in
	// YAML "auth_file: /x" or a nested mapping line by line, in JSON one
	// member each (`"comment": "x"`).
	Extra []string
	// JSON writes the original switchman's format, one JSON object, instead
	// of YAML. A timeout that is a plain number is written as a JSON number.
	JSON bool
	// Base, if set, is the text of a YAML config to start from (an installed
	// package's, say): a non-empty field replaces the line of its key, or is
	// appended where Base has none; the rest of Base stays as it is. Base
	// does not combine with JSON.
	Base string
}

// keys returns c's non-empty fields as key/value pairs, in file order.
func (c SwitchmanConfig) keys() [][2]string {
	var kv [][2]string
	for _, p := range [][2]string{
		{"zkhosts", c.Hosts}, {"prefix", c.Prefix},
		{"session_timeout", c.SessionTimeout}, {"connect_timeout", c.ConnectTimeout},
		{"termination_timeout", c.TerminationTimeout},
		{"logfile", c.Logfile}, {"loglevel", c.Loglevel},
	} {
		if p[1] != "" {
			kv = append(kv, p)
		}
	}
	return kv
}

// String returns the file's text.
func (c SwitchmanConfig) String() string {
	if c.JSON {
		return c.json()
	}
	body := c.Base
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	for _, p := range c.keys() {
		line := p[0] + ": " + p[1]
		re := regexp.MustCompile(`(?m)^` + p[0] + `:.*$`)
		if re.MatchString(body) {
			body = re.ReplaceAllLiteralString(body, line)
		} else {
			body += line + "\n"
		}
	}
	for _, l := range c.Extra {
		body += l + "\n"
	}
	return body
}

// json returns c as one JSON object, a member a line.
func (c SwitchmanConfig) json() string {
	var members []string
	for _, p := range c.keys() {
		v, _ := json.Marshal(p[1])
		if strings.HasSuffix(p[0], "_timeout") {
			if _, err := strconv.ParseFloat(p[1], 64); err == nil {
				v = []byte(p[1])
			}
		}
		members = append(members, fmt.Sprintf("  %q: %s", p[0], v))
	}
	for _, l := range c.Extra {
		members = append(members, "  "+l)
	}
	return "{\n" + strings.Join(members, ",\n") + "\n}\n"
}

// Write writes c to path, mode 0644 (before the umask).
func (c SwitchmanConfig) Write(path string) error {
	if c.JSON && c.Base != "" {
		return fmt.Errorf("%w: a switchman config with both JSON and Base", ErrBadOptions)
	}
	if err := os.WriteFile(path, []byte(c.String()), 0o644); err != nil {
		return fmt.Errorf("zktest: write switchman config: %w", err)
	}
	return nil
}

// WriteConfig writes c to path for the test, failing it on error, and
// returns path.
func WriteConfig(t testing.TB, path string, c SwitchmanConfig) string {
	t.Helper()
	if err := c.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Seconds writes d as a plain number of seconds ("1.5"), the original
// switchman's unit for every timeout, for a SwitchmanConfig field.
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
}
