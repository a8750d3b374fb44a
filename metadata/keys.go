package metadata

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/crontab"
	"github.com/acme/switchman/limits"
)

// MaxLockName is the longest lock name accepted, in bytes. A lock is one
// znode under the prefix's locks/; this keeps the whole path far below
// ZooKeeper's limits and lock names readable in listings.
const MaxLockName = 512

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// key is how one METADATA key is checked and stored.
type key struct {
	repeatable bool
	set        func(j *Job, v string) error
}

var keys = map[string]key{
	"time":     {set: setTime},
	"package":  {set: func(j *Job, v string) error { return setWord(&j.Package, v) }},
	"params":   {set: setParams},
	"group":    {set: func(j *Job, v string) error { return setWord(&j.Group, v) }},
	"lockname": {set: setLockName},
	"lease":    {repeatable: true, set: setLease},
	"no_lock":  {set: func(j *Job, v string) error { return setBool(&j.NoLock, v) }},
	"timeout":  {set: setTimeout},
	"wait":     {set: setWait},
	// The operator keys: the wrapper's --halt-on-failure,
	// --expected-duration and --min-interval.
	"halt_on_failure":   {set: func(j *Job, v string) error { return setBool(&j.HaltOnFailure, v) }},
	"expected_duration": {set: func(j *Job, v string) error { return setDuration(&j.ExpectedDuration, v) }},
	"min_interval":      {set: func(j *Job, v string) error { return setDuration(&j.MinInterval, v) }},
	"splay":             {set: setSplay},
	"notify":            {set: setNotify},
	"catch_up":          {set: func(j *Job, v string) error { return setDuration(&j.CatchUp, v) }},
	"standby":           {set: func(j *Job, v string) error { return setDuration(&j.Standby, v) }},
	"user":              {set: setUser},
	"env":               {repeatable: true, set: setEnv},
	"mailto":            {set: setMailTo},
	"comment":           {set: func(j *Job, v string) error { j.Comment = v; return nil }},
	// The resource-limit keys: the wrapper's --nice, ... --tasks-max and
	// --limits-best-effort.
	"nice":               {set: limitKey(limits.FlagNice)},
	"ionice":             {set: limitKey(limits.FlagIOnice)},
	"oom_score_adj":      {set: limitKey(limits.FlagOOMScoreAdj)},
	"rlimit":             {repeatable: true, set: limitKey(limits.FlagRlimit)},
	"memory_max":         {set: limitKey(limits.FlagMemoryMax)},
	"cpu_max":            {set: limitKey(limits.FlagCPUMax)},
	"tasks_max":          {set: limitKey(limits.FlagTasksMax)},
	"limits_best_effort": {set: func(j *Job, v string) error { return setBool(&j.LimitsBestEffort, v) }},
}

const keyNames = "time, package, params, group, lockname, lease, no_lock, timeout, wait, " +
	"halt_on_failure, expected_duration, min_interval, splay, catch_up, standby, notify, user, env, mailto, comment, " +
	"nice, ionice, oom_score_adj, rlimit, memory_max, cpu_max, tasks_max, limits_best_effort"

// limitKey is the setter of the key of the wrapper's limit flag: the value
// is checked as the wrapper checks it and kept as written, one word.
func limitKey(flag string) func(j *Job, v string) error {
	return func(j *Job, v string) error {
		var l limits.Limits
		if err := l.Set(flag, v); err != nil {
			return err
		}
		if err := oneWord(v); err != nil {
			return err
		}
		j.Limits = append(j.Limits, Limit{Flag: flag, Value: v})
		return nil
	}
}

func setTime(j *Job, v string) error {
	s, err := crontab.ParseSchedule(v)
	if err != nil {
		return err
	}
	j.Time = s
	return nil
}

// setWord stores a value written as one word of the cron line.
func setWord(dst *string, v string) error {
	if err := oneWord(v); err != nil {
		return err
	}
	*dst = v
	return nil
}

// oneWord checks a value the generator writes as a single sh word.
func oneWord(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	if strings.ContainsAny(v, " \t") {
		return fmt.Errorf("%q must be one word", v)
	}
	_, err := crontab.Quote(v)
	return err
}

func setParams(j *Job, v string) error {
	words, err := crontab.SplitParams(v)
	if err != nil {
		return err
	}
	if _, err := crontab.EscapePercent(v); err != nil {
		return err
	}
	j.Params, j.Words = v, words
	return nil
}

func setLockName(j *Job, v string) error {
	if err := CheckLockName(v); err != nil {
		return err
	}
	j.LockName = v
	return nil
}

// CheckLockName checks that name can be a switchman lock: one znode name
// (not empty, not . or .., no /, at most MaxLockName bytes) that is also one
// sh word the generator can write (no blanks, control characters, $ ` \ '
// or "; other punctuation is quoted).
func CheckLockName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("lock name %q is not a valid znode name", name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("lock name %q contains /; a lock is one znode", name)
	case len(name) > MaxLockName:
		return fmt.Errorf("lock name is %d bytes, more than %d", len(name), MaxLockName)
	}
	return oneWord(name)
}

// The patterns compile on first use: switchman links this package for its
// crontab command, and a plain run must not pay for them at start.
var leaseSpec = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^=:]+=[^:]+:.+$`) })

// setLease checks the shape RESOURCE=COUNT:TOTAL; COUNT and TOTAL may be
// numbers or the wrapper's expressions (CPU, MEMMB, int(MEMMB/1024)), which
// the wrapper's own parser checks.
func setLease(j *Job, v string) error {
	if !leaseSpec().MatchString(v) {
		return fmt.Errorf("%q is not RESOURCE=COUNT:TOTAL", v)
	}
	if err := oneWord(v); err != nil {
		return err
	}
	j.Leases = append(j.Leases, v)
	return nil
}

// setBool stores a yes/no value.
func setBool(dst *bool, v string) error {
	b, err := parseBool(v)
	if err != nil {
		return err
	}
	*dst = b
	return nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes/no/true/false/on/off/1/0", v)
}

func setTimeout(j *Job, v string) error { return setDuration(&j.Timeout, v) }

// setDuration stores a positive Go duration, as written.
func setDuration(dst *string, v string) error {
	if err := positiveDuration(v); err != nil {
		return err
	}
	*dst = v
	return nil
}

func positiveDuration(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration like 90s, 10m or 2h", v)
	}
	return nil
}

// setNotify stores the wrapper's --notify: a notifier's name, as the
// config's notifiers key defines it on the hosts.
func setNotify(j *Job, v string) error {
	if err := config.ValidateNotifierName(v); err != nil {
		return err
	}
	j.Notify = v
	return nil
}

// setSplay stores the wrapper's --splay, as written; a zero splay, stored
// as "0", keeps a block out of the generator's fleet-wide splay.
func setSplay(j *Job, v string) error {
	d, err := config.ParseSplay(v)
	if err != nil {
		return err
	}
	j.Splay = v
	if d == 0 {
		j.Splay = "0"
	}
	return nil
}

// setWait takes a boolean (--wait or nothing) or a duration (--wait=D).
func setWait(j *Job, v string) error {
	if b, err := parseBool(v); err == nil {
		j.Wait = ""
		if b {
			j.Wait = "true"
		}
		return nil
	}
	if err := positiveDuration(v); err != nil {
		return fmt.Errorf("%q is neither yes/no nor a positive duration like 30s", v)
	}
	j.Wait = v
	return nil
}

// userName is what useradd accepts by default, plus upper case and dots,
// which other tools create.
var userName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$`) })

func setUser(j *Job, v string) error {
	if !userName().MatchString(v) {
		return fmt.Errorf("%q is not a user name", v)
	}
	j.User = v
	return nil
}

var envName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// setEnv stores one NAME=VALUE assignment, written before the command so
// that it applies to this job only.
func setEnv(j *Job, v string) error {
	name, value, ok := strings.Cut(v, "=")
	switch {
	case !ok || !envName().MatchString(name):
		return fmt.Errorf("%q is not NAME=VALUE", v)
	case name == "MAILTO":
		return errors.New("use the mailto key for MAILTO")
	case name == "SHELL":
		return errors.New("SHELL is a setting of the whole cron.d file (the generator's --shell), not of one job")
	}
	// A value may hold spaces: the generator writes it single-quoted,
	// which sh (cron's shell) reads as one word. Quotes, $, backquotes and
	// backslashes are refused: written literally they would hide a value
	// meant for expansion.
	if value != "" {
		if _, err := crontab.Quote(value); err != nil {
			return fmt.Errorf("value of %s: %w", name, err)
		}
	}
	j.Env = append(j.Env, v)
	return nil
}

// setMailTo stores the MAILTO for the job; `""` means no mail at all.
func setMailTo(j *Job, v string) error {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	if strings.ContainsAny(v, "\"'\t") {
		return fmt.Errorf("%q: quotes or tabs inside the address", v)
	}
	j.MailTo = &v
	return nil
}
