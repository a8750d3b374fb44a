package cmdline

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/acme/switchman/limits"
)

// FlagLimitsBestEffort is the flag that runs a job without the cgroup
// limits its host cannot enforce.
const FlagLimitsBestEffort = "limits-best-effort"

// limitFlags are the resource-limit flags, in the order help shows them,
// with their value's type name (for help) and their help.
var limitFlags = []struct{ name, typ, usage string }{
	{limits.FlagNice, "int", "run CMD at this nice value, -20 (first) to 19 (last)"},
	{limits.FlagIOnice, "string", "run CMD in this I/O scheduling class: CLASS[:LEVEL], CLASS none, realtime, best-effort or idle, LEVEL 0 to 7"},
	{limits.FlagOOMScoreAdj, "int", "CMD's oom_score_adj, -1000 (never killed) to 1000 (killed first)"},
	{limits.FlagRlimit, "stringArray", "an rlimit of CMD: NAME=SOFT[:HARD], NAME nofile, nproc, as, data, fsize, core or cpu (repeatable)"},
	{limits.FlagMemoryMax, "string", "cap CMD's whole tree at this much memory (bytes, K, M, G, T; its cgroup's memory.max)"},
	{limits.FlagCPUMax, "string", "cap CMD's whole tree at this share of one CPU (50%, 200%; its cgroup's cpu.max)"},
	{limits.FlagTasksMax, "string", "cap CMD's whole tree at this many processes and threads (its cgroup's pids.max)"},
}

// limitValue is one limit flag: each value given is checked and stored in
// the options' Limits at once, so that a bad one is a usage error.
type limitValue struct {
	lim  *limits.Limits
	name string
	typ  string
	last string
}

func (v *limitValue) Set(s string) error {
	if err := v.lim.Set(v.name, s); err != nil {
		return err
	}
	v.last = s
	return nil
}

func (v *limitValue) String() string { return v.last }
func (v *limitValue) Type() string   { return v.typ }

// bindLimits adds the resource-limit flags to fs, storing into o.
func (o *Options) bindLimits(fs *pflag.FlagSet) {
	for _, f := range limitFlags {
		fs.Var(&limitValue{lim: &o.Limits, name: f.name, typ: f.typ}, f.name, f.usage)
	}
	fs.BoolVar(&o.LimitsBestEffort, FlagLimitsBestEffort, false,
		"run CMD without the memory, CPU and task caps this host cannot enforce (one warning) instead of exiting 64")
}

// limitErr returns the limit's own error, which names the flag, the value
// and what would be right, for a bad limit value; nil for other errors.
func limitErr(err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) && errors.Is(err, limits.ErrInvalid) {
		return iv.Unwrap()
	}
	return nil
}
