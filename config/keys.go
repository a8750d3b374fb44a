package config

import "strings"

// Key documents one config file key. Keys is the one source of the README's
// key table and of the switchman.yaml(5) man page, so the two cannot drift
// from each other, and a test ties it to the keys Parse accepts.
type Key struct {
	Name    string
	Default string // "" when the key has no default
	Meaning string // Markdown: `code` spans only
}

// Keys lists every key Parse accepts, in the order the docs show them.
var Keys = []Key{
	{"zkhosts", "required", "`\"h1:2181,h2:2181\"` or a list; a chroot suffix (`h:2181/app`) is refused: use `prefix`"},
	{"prefix", "required", "absolute znode path holding group data, `locks/`, `queues/`, `semaphores/`; must exist (`switchman groups init` creates it, and nothing else ever does: a mistyped prefix fails every run that talks to ZooKeeper with exit 69 before the command starts, and every operator command, rather than becoming a private namespace)"},
	{"session_timeout", "`10s`", "ZooKeeper session timeout asked for (the server may grant another; switchman uses what it grants)"},
	{"connect_timeout", "`5s`", "bounds one attempt round over the servers: each server gets a share of it to connect and answer (with 3 servers half, capped at S/3), so a server that accepts TCP but never answers (GC pause, stuck disk) costs one share and the next is tried: with one of three frozen, 0 of 30 fresh sessions failed (`TestHungServerSkipped`). A round that gives no session is followed by another, see `start_deadline`"},
	{"start_deadline", "`30s`", "a run gives up (exit 69) when no session within this (never less than `connect_timeout`; an operator's command gives up after one round). Rounds that give no session (servers refusing, throttling, timing out) are retried after an exponential backoff with full jitter (random in [0, 0.2 s·2^(round-1)), the ceiling at most 4 s), so a burst of runs refused together comes back spread out; a session a server reports expired before the command starts is retried the same way. A run that needed more than one connection logs the count at info and keeps it in its run record (`connect_attempts`): with 150 runs on 20 locks at once against servers allowing 3 connections each, 0 failed (`TestBurstEveryRunDecided`)"},
	{"termination_timeout", "`10`", "seconds between SIGTERM and SIGKILL on a planned stop; in YAML it must not exceed `session_timeout` (a stop after a lost session uses a shorter grace either way)"},
	{"resources_wait_timeout", "`0`", "seconds to wait in lease queues; 0 = no limit"},
	{"logfile", "none", "JSON lines at `loglevel`; `%u` is replaced by the user's name (one file per user, as the package's `/var/log/switchman/%u.log`). A file that cannot be opened never stops a job: its lines then go to stderr"},
	{"log_format", "`json`", "`json` (JSON lines) or `text`: the original's lines, `DATE<TAB>[PID]<TAB>message`, the fields after the message as `key=value`"},
	{"loglevel", "`info`", "`debug`, `info`, `warning`, `error`, `critical` (the original's) or zerolog's names"},
	{"data_read_len", "", "accepted for compatibility with the original, ignored (Go reads whole znodes)"},
	{"hostname", "FQDN", "this host's identity"},
	{"skipped_exit_code", "`0`", "exit status of a skipped run"},
	{"auth_file", "none", "ZooKeeper digest credentials (one line `user:password`, mode 0600), see the README's Security section"},
	{"tls", "none", "`{ca, cert, key, server_name}`, see the README's Security section"},
	{"history_keep", "`20`", "versions of the group data kept by `switchman groups`"},
	{"metrics_textfile_dir", "none", "Prometheus textfile per job, written at each finish"},
	{"history_runs", "`50`", "finished runs kept per job for `switchman history` and the dashboard (at most 64 KB per job)"},
	{"cgroup", "`auto`", "`auto`: each run's command gets a cgroup of its own where the host allows (root or a delegated cgroup, cgroup v2, Linux 5.14+), so that a stop kills its whole tree at once and the run record gets its CPU time and peak memory; `off`: none unless the run asks for a memory, CPU or task cap, which needs one. See Resource limits"},
	{"slots_kept", "`100`", "claimed slots kept per job run with `--schedule`; a slot older than all of them never runs"},
	{"slot_skew", "`60s`", "how far apart hosts' clocks (and a loaded cron's firing) may be, 1 s to 1 h: a slot nobody claimed counts as missed (`catch-up`, `check missed`, `check stale`, `status`) only this long after it, plus ten `--standby` turns, since a late host may still claim it until then"},
	{"splay", "none", "read by `switchman crontab generate --config FILE` only: each generated line of a block without its own `splay` key gets `--splay` this long (a Go duration with its unit, at most `1h`), so that a fleet's runs of one tick spread over it; a run reads only its own `--splay`"},
	{"failure_output", "`4096`", "bytes of a failing run's output (the end of stdout and stderr) kept with it in the history; `0` = none, and the child then gets switchman's own stdout and stderr"},
	{"notify", "none", "commands (shell command lines, run with `/bin/sh -c`) that get each event a run fires (`failed`, `recovered`, ...) as JSON on stdin and `SWITCHMAN_*` variables: see Notifications"},
	{"notify_timeout", "`10s`", "bounds a run's notifications, retries included: the most they add to the wrapper's exit; a command still running then is killed"},
	{"notify_after", "`1`", "consecutive failures of a job, counted fleet-wide from its history, that fire its `failed` event; at most `history_runs`"},
	{"notify_repeat", "`24h`", "while a job still fails after a notified failure, a `reminder` event this often until it succeeds; `0` = never"},
	{"notifiers", "none", "named lists of notify commands, `{NAME: [commands]}`: a job run with `--notify NAME` (METADATA `notify: NAME`) gets its events through those instead of `notify`"},
	{"dashboard_url", "none", "where `switchman serve` is reached (`https://host:8080`): notifications link to the job's page under it"},
}

// KeysMarkdown returns Keys as the README's Markdown table.
func KeysMarkdown() string {
	var b strings.Builder
	b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	for _, k := range Keys {
		b.WriteString("| `" + k.Name + "` | " + k.Default + " | " + k.Meaning + " |\n")
	}
	return b.String()
}
