package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

// The cron test runs the package's files under Debian's real cron daemon,
// in a private mount namespace: /etc, /usr, /var, /run and /root are
// overlays whose writes go to a tmpfs that disappears with the namespace,
// and in them cron.d, /etc/crontab and cron's spool hold only the test's
// lines (/root too: root's jobs keep switchman's heartbeat stamp in
// ~/.cache). The host's files, crontabs and cron daemon (if any) are never
// touched; the test reads the jobs' logs through a bind mount of the
// throwaway root's log directory.

// cronNamespace is run by sh inside `unshare --mount`: it builds the
// namespace's view and then becomes cron. Its parameters come in the
// environment.
const cronNamespace = `set -eu
mount -t tmpfs -o mode=0700 switchman-cron-test "$NS"
for d in /etc /usr /var /run /root; do
	mkdir "$NS$d.upper" "$NS$d.work"
	mount -t overlay overlay -o "lowerdir=$d,upperdir=$NS$d.upper,workdir=$NS$d.work" "$d"
done
# Only the test's crontab: none of the machine's, and no @reboot state.
find /etc/cron.d /var/spool/cron/crontabs -mindepth 1 -delete
printf 'SHELL=/bin/sh\nPATH=/usr/bin:/bin\n' >/etc/crontab
rm -f /etc/switchman.conf /run/crond.pid /run/crond.reboot
cp "$ROOT/etc/switchman.yaml" /etc/switchman.yaml
install -o root -g root -m 0644 "$CROND" /etc/cron.d/
# The package's files where the package puts them (a bind mount needs a
# file to cover); the log directory is the one its postinst made in the
# throwaway root.
touch /usr/bin/switchman
mount --bind "$ROOT/usr/bin/switchman" /usr/bin/switchman
mkdir -p /usr/lib/switchman /var/log/switchman "$SCRIPTDIR"
mount --bind "$ROOT/usr/lib/switchman" /usr/lib/switchman
mount --bind "$ROOT/var/log/switchman" /var/log/switchman
cp "$SCRIPTS"/* "$SCRIPTDIR"/
# cron mails whatever a job prints through sendmail: keep it.
printf '#!/bin/sh\ncat >>"%s"\n' "$MAILBOX" >/usr/sbin/sendmail
chmod 755 /usr/sbin/sendmail
exec "$CRON" -f
`

const (
	cronHost      = "cron1.example.com"
	cronInstalled = "/usr/lib/switchman-cron-test"
	cronSkipMsg   = "host not in group; not running"
)

// cronScript is a script with a METADATA block that runs every minute in
// group "cron" as user, and writes who ran it and when (the UTC minute).
func cronScript(user, marks string) string {
	return "#!/bin/sh\n# <crontab>\n#   time: * * * * *\n#   package: switchman-cron-test\n#   group: cron\n#   user: " + user +
		"\n# </crontab>\necho \"$(id -un) $(date -u +%Y%m%dT%H%M)\" >>" + marks + "/" + user + "\n"
}

// cronDailyScript is a daily job with catch_up in group "cron": its slot
// of today (00:00) passed before cron started, so the generated catch-up
// entry's @reboot line runs it, once, as it starts. It writes the slot it
// was given.
func cronDailyScript(marks string) string {
	return "#!/bin/sh\n# <crontab>\n#   time: 0 0 * * *\n#   package: switchman-cron-test\n#   group: cron\n#   catch_up: 48h\n" +
		"# </crontab>\necho \"$(id -un) $SWITCHMAN_SLOT\" >>" + marks + "/daily\n"
}

// TestCronRunsPackageJobs is the end-to-end test with Debian's cron: the
// package's default config and log directory, a cron.d file generated from
// scripts with METADATA, one job as root and one as nobody, both run
// through switchman (each line with its --schedule) at the next minute
// boundary and recorded in `switchman status`; the catch-up entry's
// @reboot line, as cron starts, runs the missed slot of a daily job with
// catch_up once; then the group moves to another host and the next
// minute's runs skip without a word (nothing mailed, no run, no new
// record).
//
// It needs one to three of cron's minutes. The set-up runs in order with
// the other tests, and cron and the group move then proceed on their own
// while the test waits, paused by t.Parallel, for the package's other
// tests: the minutes overlap them instead of adding to them.
func TestCronRunsPackageJobs(t *testing.T) {
	deb := debPackage(t)
	cron := cronDaemon(t)
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"cron":["`+cronHost+`"]}}`)
	root, statusCfg, marks, mailbox := cronWorld(t, deb, srv.Addr, e)
	bin := filepath.Join(root, "usr/bin/switchman")
	scripts := writeScripts(t, map[string]string{"root-job": cronScript("root", marks), "nobody-job": cronScript("nobody", marks),
		"daily-job": cronDailyScript(marks)})
	crond := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustRun(ctx, t, "/", bin, "crontab", "generate", "--install-dir", cronInstalled, "--out", crond, scripts)
	table := readFile(t, filepath.Join(crond, "switchman-cron-test"))
	for _, want := range []string{
		"* * * * * root /usr/bin/switchman --group cron --lockname root-job --schedule '* * * * *' -- " + cronInstalled + "/root-job\n",
		"* * * * * nobody /usr/bin/switchman --group cron --lockname nobody-job --schedule '* * * * *' -- " + cronInstalled + "/nobody-job\n",
		"0 0 * * * root /usr/bin/switchman --group cron --lockname daily-job --schedule '0 0 * * *' --catch-up 48h -- " + cronInstalled + "/daily-job\n",
		"@reboot root /usr/bin/switchman catch-up switchman-cron-test\n",
		"2-59/5 * * * * root /usr/bin/switchman catch-up switchman-cron-test\n",
	} {
		if !strings.Contains(table, want) {
			t.Fatalf("generated cron.d file lacks %q:\n%s", want, table)
		}
	}
	c := startCron(t, cron, map[string]string{"NS": t.TempDir(), "ROOT": root, "CROND": filepath.Join(crond, "switchman-cron-test"),
		"SCRIPTS": scripts, "SCRIPTDIR": cronInstalled, "MAILBOX": mailbox})
	moved := make(chan error, 1)
	go func() { moved <- moveGroupAfterRuns(e, []string{"root-job", "nobody-job"}, 150*time.Second) }()
	t.Parallel()

	// The next minute boundary: both jobs ran, as their users, through
	// switchman, logged with the default config and recorded in ZooKeeper.
	select {
	case err := <-moved:
		c.alive(t)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("the group move did not happen within 3 minutes")
	}
	logs := filepath.Join(root, "var/log/switchman")
	runs := cronStatus(t, statusCfg, bin)
	for _, user := range []string{"root", "nobody"} {
		mark := readFile(t, filepath.Join(marks, user))
		if !strings.HasPrefix(mark, user+" ") {
			t.Errorf("%s's job: marker %q, want it run as %s", user, mark, user)
		}
		if log := readFile(t, filepath.Join(logs, user+".log")); !strings.Contains(log, `"lock":"`+user+`-job"`) || !strings.Contains(log, `"message":"FINISH"`) {
			t.Errorf("%s.log has no FINISH line for %s-job:\n%s", user, user, log)
		}
		if r := runs[user+"-job"]; r.Host != cronHost || r.Group != "cron" || r.State != "finished" || r.ExitCode != 0 || r.Result != "success" {
			t.Errorf("status: run of %s-job %+v", user, r)
		}
	}

	cronCaughtUp(t, e, marks)

	// The group moved to another host: the next minute's runs skip, quietly.
	for _, user := range []string{"root", "nobody"} {
		skipped := waitLogLine(t, c, filepath.Join(logs, user+".log"), user+"-job", cronSkipMsg, 150*time.Second)
		minute := skipped.UTC().Format("20060102T1504")
		if mark := readFile(t, filepath.Join(marks, user)); strings.Contains(mark, " "+minute+"\n") {
			t.Errorf("%s's job ran at %s, the minute it was skipped:\n%s", user, minute, mark)
		}
		if last := cronStatus(t, statusCfg, bin)[user+"-job"]; !last.Start.Before(skipped.Truncate(time.Minute)) {
			t.Errorf("the skipped run of %s-job was recorded: %+v (skipped at %s)", user, last, skipped)
		}
	}
	waitCronIdle(t, c, 60*time.Second)
	if mail := readFile(t, mailbox); mail != "" {
		t.Errorf("cron mailed output (a run or a skip printed something):\n%s", mail)
	}
}

// cronCaughtUp checks that the catch-up entry ran the daily job's missed
// slot once, as root, claimed as caught up: by the time the other jobs
// have run a minute's slot, cron's @reboot catch-up has long finished.
func cronCaughtUp(t *testing.T, e *env, marks string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(marks, "daily"))), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("the daily job ran one slot twice:\n%s", strings.Join(lines, "\n"))
		}
		seen[l] = true
	}
	user, at, _ := strings.Cut(lines[0], " ")
	when, err := time.Parse(time.RFC3339, at)
	if user != "root" || err != nil {
		t.Fatalf("daily job: marker %q, want root and its slot (%v)", lines[0], err)
	}
	b, _, err := e.admin.Get(e.prefix + "/slots/daily-job/" + when.UTC().Format("20060102T150405Z"))
	var claim struct {
		Host     string
		CaughtUp bool `json:"caught_up"`
	}
	if err != nil || json.Unmarshal(b, &claim) != nil || claim.Host != cronHost || !claim.CaughtUp {
		t.Errorf("claim of the daily job's slot %s: %s (%v), want one by %s, caught up", at, b, err, cronHost)
	}
}

// cronWorld installs the package into a throwaway root and points its
// default config at the test's ZooKeeper and host name, leaving its
// logging as installed. It returns the root, a config for status (which
// runs outside the namespace and so logs elsewhere), a directory every
// user may write markers to, and the file the namespace's sendmail fills.
func cronWorld(t *testing.T, deb, zk string, e *env) (root, statusCfg, marks, mailbox string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root = installedRoot(ctx, t, deb, nil)
	installed := installedConfig(t, root)
	point := func(path, logfile string) string {
		zktest.WriteConfig(t, path, zktest.SwitchmanConfig{Base: installed, Hosts: zk, Prefix: e.prefix, Logfile: logfile,
			Extra: []string{"hostname: " + cronHost}})
		if err := os.Chmod(path, 0o644); err != nil { // every user reads it, whatever the umask
			t.Fatal(err)
		}
		return path
	}
	point(filepath.Join(root, "etc/switchman.yaml"), "/var/log/switchman/%u.log")
	statusCfg = point(filepath.Join(e.dir, "status.yaml"), filepath.Join(e.dir, "status.log"))
	// nobody's job must reach its marker and the mailbox.
	for d := e.dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	marks, mailbox = filepath.Join(e.dir, "marks"), filepath.Join(e.dir, "mailbox")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(marks, 0o1777); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, mailbox, nil, 0o666)
	return root, statusCfg, marks, mailbox
}

// moveGroupAfterRuns moves group "cron" to another host as soon as
// ZooKeeper holds a finished run record of every lock on this host. It
// runs in its own goroutine, so it reports instead of failing the test.
func moveGroupAfterRuns(e *env, locks []string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, l := range locks {
		for {
			var r fleet.Run
			b, _, err := e.admin.Get(e.prefix + "/runs/" + l + "/" + cronHost)
			if err == nil && json.Unmarshal(b, &r) == nil && r.State == "finished" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no finished run of %s within %s (last: %v %s)", l, within, err, b)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	_, err := e.admin.Set(e.prefix, []byte(`{"groups":{"cron":["cron2.example.com"]}}`), -1)
	return err
}

// cronDaemon returns Debian's cron, after checking the test can run it in
// a namespace of its own: root, unshare and mount. It fails under CI
// (make deps installs them) and skips elsewhere.
func cronDaemon(t *testing.T) string {
	t.Helper()
	needRoot(t, "mount a private namespace for cron")
	needTools(t, "unshare", "mount")
	for _, p := range []string{"cron", "/usr/sbin/cron"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	needTools(t, "cron")
	return ""
}

// cronRun is cron running in its namespace.
type cronRun struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
}

// startCron starts cron in a private mount namespace and stops it (by its
// pid, TERM) at cleanup. unshare and then sh exec, so the pid is cron's.
func startCron(t *testing.T, cron string, env map[string]string) *cronRun {
	t.Helper()
	c := exec.Command("unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", cronNamespace)
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "CRON=" + cron}
	// Should the test binary die before its cleanup (a timeout, a
	// SIGKILL), cron goes with it: the signal survives unshare's and sh's
	// execs, and a cron left behind would run the test's jobs forever.
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	r := &cronRun{cmd: c, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	c.Stdout, c.Stderr = r.stderr, r.stderr
	if err := c.Start(); err != nil {
		t.Fatalf("start cron: %v", err)
	}
	go func() { c.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		syscall.Kill(c.Process.Pid, syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(10 * time.Second):
			c.Process.Kill() // cron ignored TERM
			<-r.exited
		}
	})
	return r
}

// alive fails the test when cron has exited (a namespace set-up step
// failed, or cron refused to start).
func (r *cronRun) alive(t *testing.T) {
	t.Helper()
	select {
	case <-r.exited:
		t.Fatalf("cron exited (%v):\n%s", r.cmd.ProcessState, r.stderr)
	default:
	}
}

// cronStatus returns the runs `switchman status -o json` shows, by lock.
func cronStatus(t *testing.T, cfg, bin string) map[string]fleet.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var st struct{ Runs []fleet.Run }
	if out := mustRun(ctx, t, "/", bin, "status", "-o", "json", "-c", cfg); json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("switchman status -o json:\n%s", out)
	}
	runs := map[string]fleet.Run{}
	for _, r := range st.Runs {
		runs[r.Lock] = r
	}
	return runs
}

// waitLogLine waits for a JSON log line with this lock and message, and
// returns its time.
func waitLogLine(t *testing.T, c *cronRun, path, lock, msg string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var l struct{ Time, Lock, Message string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Lock == lock && l.Message == msg {
				f.Close()
				when, err := time.Parse(time.RFC3339, l.Time)
				if err != nil {
					t.Fatalf("%s: time %q: %v", path, l.Time, err)
				}
				return when
			}
		}
		f.Close()
		c.alive(t)
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q line for %s within %s:\n%s", path, msg, lock, within, readFile(t, path))
		}
		time.Sleep(time.Second)
	}
}

// waitCronIdle waits until cron has no child: every job has finished and
// cron has mailed what it printed.
func waitCronIdle(t *testing.T, c *cronRun, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(childrenOf(c.cmd.Process.Pid)) > 0 {
		c.alive(t)
		if time.Now().After(deadline) {
			t.Fatalf("cron still has children %v after %s", childrenOf(c.cmd.Process.Pid), within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// childrenOf lists the pids whose parent is pid.
func childrenOf(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kid, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
			kids = append(kids, kid)
		}
	}
	return kids
}
