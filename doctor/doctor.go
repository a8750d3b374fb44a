// Package doctor checks one host's switchman set-up, one line per check
// with OK, WARN or FAIL and a hint: the config file, ZooKeeper (reachable,
// version, local sessions), the prefix znode and its ACLs, this host's
// identity and groups, the clock offset against ZooKeeper, the cron
// daemon, the notify commands, the log file and the cgroup a run gets.
// `switchman doctor` binds its flags and prints what Run writes.
package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/cgroup"
	"github.com/acme/switchman/config"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/limits"
	"github.com/acme/switchman/lock"
	"github.com/acme/switchman/logfile"
	"github.com/acme/switchman/notify"
)

// maxClockOffset is the clock offset against ZooKeeper above which doctor
// warns: lock records and run history carry local start times, and cron
// fires by the local clock, so hosts a second or more apart make both
// misleading.
const maxClockOffset = time.Second

// versionTimeout bounds one `srvr` query; a server that ignores it (the
// command disabled) closes the connection at once.
const versionTimeout = 2 * time.Second

// Check outcomes, as printed at the start of each line.
const (
	checkOK   = "OK"
	checkWarn = "WARN"
	checkFail = "FAIL"
)

// Options say where the checks look.
type Options struct {
	// Config is --config as given ("" for the default search), Getenv
	// the environment it is searched with (see config.Locate).
	Config string
	Getenv func(string) string
	// Hostname is this host's identity ("": the config's, else the FQDN).
	Hostname string
	// ProcDir is where running processes are listed ("": /proc).
	ProcDir string
}

// doctor runs the checks in order and prints one line per check.
type doctor struct {
	opts  Options
	out   io.Writer
	fails int
	cfg   *config.Config
	data  *config.Data
	// client is the session and the store, once the ZooKeeper check
	// connected.
	client *fleet.Client
}

// Run runs every check that applies, writes one line per check to out,
// and returns how many failed. A check that depends on an earlier one
// (the prefix on ZooKeeper, ZooKeeper on the config) is left out when
// that one failed.
func Run(ctx context.Context, o Options, out io.Writer) (failed int) {
	if o.ProcDir == "" {
		o.ProcDir = "/proc"
	}
	d := &doctor{opts: o, out: out}
	defer func() { d.client.Close() }()
	if d.checkConfig() && d.checkZooKeeper(ctx) && d.checkPrefix() {
		d.checkIdentity()
		d.checkClock()
	}
	d.checkCron()
	d.checkCgroup()
	return d.fails
}

func (d *doctor) report(outcome, what, hint string) {
	if outcome == checkFail {
		d.fails++
	}
	line := fmt.Sprintf("%-4s %s", outcome, what)
	if hint != "" {
		line += " (" + hint + ")"
	}
	fmt.Fprintln(d.out, strings.ReplaceAll(line, "\n", " "))
}

func (d *doctor) checkConfig() bool {
	path, why, err := config.Locate(d.opts.Config, d.opts.Getenv)
	if err != nil {
		d.report(checkFail, "config: "+plainErr(err), "write /etc/switchman.yaml or pass -c")
		return false
	}
	if d.cfg, err = config.Load(path); err != nil {
		d.report(checkFail, "config: "+plainErr(err), "fix the file and run doctor again")
		return false
	}
	d.report(checkOK, "config: "+path+" in effect ("+why+"), readable and valid", "")
	for _, w := range d.cfg.Warnings {
		d.report(checkWarn, "config: "+path+": "+w, "")
	}
	d.checkConfigMode(path)
	d.checkLog()
	d.checkNotify()
	return true
}

// checkNotify checks that each notify command can run here (see
// notify.Check); it sends nothing: `switchman notify test` does.
func (d *doctor) checkNotify() {
	for _, c := range d.cfg.AllNotifyCommands() {
		if err := notify.Check(c); err != nil {
			d.report(checkFail, "notify: "+c+": "+err.Error(), "install it or fix the notify or notifiers key in "+d.cfg.Path)
			continue
		}
		d.report(checkOK, "notify: "+c+" can run", "switchman notify test sends a sample")
	}
}

// checkLog opens the log file as a run by this user would: a job still
// runs when it cannot, but its log lines then go to stderr (and cron's
// mail) on every run.
func (d *doctor) checkLog() {
	if d.cfg.LogFile == "" {
		d.report(checkWarn, "log: no logfile in "+d.cfg.Path+"; runs are logged nowhere", "set logfile, e.g. /var/log/switchman/%u.log")
		return
	}
	path := logfile.Path(d.cfg.LogFile)
	f, err := logfile.Open(path)
	if err != nil {
		d.report(checkFail, "log: "+logfile.User()+" cannot write "+path+": "+err.Error(),
			"every run of this user logs to stderr instead; fix the directory's owner and mode")
		return
	}
	f.Close()
	d.report(checkOK, "log: "+path+" writable by "+logfile.User(), "")
}

// checkConfigMode fails a config file that others may write: whoever can
// edit it can point every job at their own ZooKeeper.
func (d *doctor) checkConfigMode(path string) {
	st, err := os.Stat(path)
	if err != nil {
		d.report(checkFail, "config: "+err.Error(), "")
		return
	}
	dir, derr := os.Stat(filepath.Dir(path))
	switch perm := st.Mode().Perm(); {
	case perm&0o002 != 0:
		d.report(checkFail, fmt.Sprintf("config: %s is writable by others (mode %04o)", path, perm), "chmod o-w "+path)
	case derr == nil && dir.Mode().Perm()&0o002 != 0 && dir.Mode()&os.ModeSticky == 0:
		d.report(checkFail, fmt.Sprintf("config: directory %s is writable by others", filepath.Dir(path)), "chmod o-w "+filepath.Dir(path))
	case perm&0o020 != 0:
		d.report(checkWarn, fmt.Sprintf("config: %s is writable by its group (mode %04o)", path, perm), "chmod g-w "+path+" unless the group is trusted")
	default:
		d.report(checkOK, fmt.Sprintf("config: %s not writable by others (mode %04o)", path, perm), "")
	}
}

func (d *doctor) checkZooKeeper(ctx context.Context) bool {
	opts, err := fleet.SessionOptions(d.cfg, zerolog.Nop())
	if err != nil {
		d.report(checkFail, "zookeeper: "+err.Error(), "fix the tls files")
		return false
	}
	d.checkResolve(ctx)
	if d.client, err = fleet.Dial(ctx, opts, d.cfg.Prefix); err != nil {
		d.report(checkFail, "zookeeper: "+plainErr(err), "check zkhosts, the network, and tls")
		return false
	}
	how := "plain"
	if opts.TLS != nil {
		how = "TLS"
	}
	if opts.Auth != "" {
		how += ", digest auth as " + strings.SplitN(opts.Auth, ":", 2)[0]
	}
	d.report(checkOK, fmt.Sprintf("zookeeper: connected to %s (%s), session timeout %s",
		strings.Join(d.cfg.ZKHosts, ","), how, d.client.Session().Timeout()), "")
	for _, addr := range d.cfg.ZKHosts {
		if v, err := lock.ServerVersion(ctx, addr, opts.TLS, versionTimeout); err == nil {
			d.report(checkOK, "zookeeper: "+addr+" version "+v, "")
		} else {
			d.report(checkOK, "zookeeper: "+addr+" version unknown", "srvr: "+err.Error())
		}
	}
	// Now, while the doctor's session has created no ephemeral node.
	d.checkLocalSessions(ctx, opts.TLS)
	return true
}

// checkLocalSessions says whether the servers create sessions locally, so
// that runs that skip cost the ensemble no transaction (see
// lock.LocalSessions), and warns when they do not.
func (d *doctor) checkLocalSessions(ctx context.Context, tc *tls.Config) {
	answers := make([]lock.ServerAnswers, len(d.cfg.ZKHosts))
	for i, addr := range d.cfg.ZKHosts {
		answers[i].Addr = addr
		answers[i].Conf, _ = lock.FourLetter(ctx, addr, tc, "conf", versionTimeout)
		answers[i].Mntr, _ = lock.FourLetter(ctx, addr, tc, "mntr", versionTimeout)
	}
	const fix = "set localSessionsEnabled=true and localSessionsUpgradingEnabled=true on every server, in quorum mode: see the README's production zoo.cfg"
	switch state, why := lock.LocalSessions(answers); state {
	case lock.LocalSessionsOn:
		d.report(checkOK, "zookeeper: local sessions: a skipped run costs no transaction ("+why+")", "")
	case lock.LocalSessionsOff:
		d.report(checkWarn, "zookeeper: no local sessions: every run, even one that skips, costs 2 transactions ("+why+")", fix)
	case lock.LocalSessionsNoUpgrade:
		d.report(checkFail, "zookeeper: local sessions are never upgraded: "+why, fix)
	default:
		d.report(checkOK, "zookeeper: local sessions unknown", why)
	}
}

// checkResolve names every zkhosts entry whose host name does not resolve:
// the client tries the others silently, so one bad entry would otherwise
// go unnoticed until the other servers fail.
func (d *doctor) checkResolve(ctx context.Context) {
	for _, addr := range d.cfg.ZKHosts {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || net.ParseIP(host) != nil {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, versionTimeout)
		_, err = net.DefaultResolver.LookupHost(rctx, host)
		cancel()
		if err != nil {
			d.report(checkWarn, "zookeeper: "+host+" (zkhosts) does not resolve", "fix the name in "+d.cfg.Path+" or DNS")
		}
	}
}

// plainErr is an error's message without the package prefix that marks
// switchman's own sentinel errors ("lock: "): doctor speaks to an admin.
func plainErr(err error) string {
	msg := err.Error()
	for _, p := range []string{"lock: ", "fleet: ", "config: ", "zk: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

func (d *doctor) checkPrefix() bool {
	p := d.cfg.Prefix
	ok, err := d.client.Store().NodeExists("")
	switch {
	case err != nil:
		d.report(checkFail, "prefix: "+plainErr(err), "")
		return false
	case !ok:
		d.report(checkFail, "prefix: "+p+" does not exist", "create it with the group data")
		return false
	}
	d.report(checkOK, "prefix: "+p+" exists", "")
	d.checkACL("", "anyone can rewrite the group data: set an ACL naming the admins' digest identity")
	if ok, err := d.client.Store().NodeExists(lock.LocksDir); err == nil && ok {
		d.checkACL(lock.LocksDir, "anyone can delete running jobs' locks: use auth_file so switchman creates it protected")
	}
	return true
}

// checkACL reports the ACL of the node at rel under the prefix.
func (d *doctor) checkACL(rel, openHint string) {
	p := path.Join(d.cfg.Prefix, rel)
	acl, err := d.client.Store().NodeACL(rel)
	if err != nil {
		d.report(checkWarn, "acl: "+plainErr(err), "")
		return
	}
	words := make([]string, len(acl))
	open := false
	for i, e := range acl {
		words[i] = e.String()
		open = open || e.Open()
	}
	if open {
		d.report(checkWarn, "acl: "+p+" "+strings.Join(words, ","), openHint)
		return
	}
	d.report(checkOK, "acl: "+p+" "+strings.Join(words, ","), "")
}

func (d *doctor) checkIdentity() {
	host := d.cfg.Host(d.opts.Hostname)
	if d.opts.Hostname == "" && d.cfg.Hostname == "" {
		if !strings.Contains(host, ".") {
			d.report(checkWarn, "identity: "+host+" is a short name: the resolver knows no domain for it",
				"group data lists FQDNs; set hostname in "+d.cfg.Path+" or fix /etc/hosts")
		}
	}
	var err error
	if d.data, err = d.client.Store().Groups(); err != nil {
		hint := ""
		if errors.As(err, new(*config.DataError)) {
			hint = "fix the group data"
		}
		d.report(checkFail, "groups: "+plainErr(err), hint)
		return
	}
	mine := d.data.GroupsOf(host)
	if len(mine) == 0 {
		d.report(checkWarn, "identity: "+host+" is in no group", "jobs with --group will not run here; set hostname in the config if the name is wrong")
		return
	}
	d.report(checkOK, "identity: "+host+" is in groups "+strings.Join(mine, ", "), "")
}

func (d *doctor) checkClock() {
	off, unc, err := d.client.Store().ClockOffset()
	if err != nil {
		d.report(checkWarn, "clock: cannot measure: "+plainErr(err), "")
		return
	}
	what := fmt.Sprintf("clock: offset to zookeeper %s (±%s)", off.Round(time.Millisecond), unc.Round(time.Millisecond))
	if off > maxClockOffset || off < -maxClockOffset {
		d.report(checkWarn, what, "over 1s: check NTP (chrony, systemd-timesyncd) here and on the servers")
		return
	}
	d.report(checkOK, what, "")
}

// checkCgroup says whether a run here gets a cgroup of its own, and which
// of the cgroup caps it can enforce; or why it gets none.
func (d *doctor) checkCgroup() {
	info, err := cgroup.Probe()
	if err != nil {
		d.report(checkWarn, "cgroup: runs get no cgroup of their own: "+err.Error(),
			"runs work as without cgroups; --memory-max, --cpu-max and --tasks-max exit 64 unless --limits-best-effort")
		return
	}
	what := "cgroup: each run gets a cgroup of its own below " + info.Parent
	if d.cfg != nil && !d.cfg.Cgroups {
		what = "cgroup: off in " + d.cfg.Path + "; a run that asks for a cap gets a cgroup of its own below " + info.Parent
	}
	have := strings.Join(info.Controllers, " ")
	if have == "" {
		have = "none"
	}
	d.report(checkOK, what+", with controllers: "+have, capsHint(info.Controllers))
}

// capsHint names the cgroup caps the controllers cannot enforce.
func capsHint(controllers []string) string {
	var all limits.Limits
	for _, f := range []string{limits.FlagMemoryMax, limits.FlagCPUMax, limits.FlagTasksMax} {
		_ = all.Set(f, "max")
	}
	var missing []string
	for _, f := range all.CgroupFiles() {
		if !slices.Contains(controllers, f.Controller) {
			missing = append(missing, "--"+f.Flag+" needs "+f.Controller)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, ", ") + ": not enforced here"
}

// cronDaemons are process names of the cron daemons Debian and others ship.
var cronDaemons = map[string]bool{"cron": true, "crond": true, "cronie": true, "busybox-crond": true, "fcron": true, "supercronic": true}

func (d *doctor) checkCron() {
	if name, pid, ok := findProcess(d.opts.ProcDir, cronDaemons); ok {
		d.report(checkOK, fmt.Sprintf("cron: %s running (pid %d)", name, pid), "")
		return
	}
	d.report(checkWarn, "cron: no cron daemon running", "install and start cron, or jobs will never be started")
}

// findProcess looks in procDir for a process whose command name is in
// names.
func findProcess(procDir string, names map[string]bool) (string, int, bool) {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return "", 0, false
	}
	for _, e := range ents {
		pid := 0
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid <= 0 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procDir, e.Name(), "comm"))
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(b)); names[name] {
			return name, pid, true
		}
	}
	return "", 0, false
}
