package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/lock"
)

// protect makes the test's prefix readable and writable only by the digest
// identity user:password, as an operator locks down a production prefix.
func (e *env) protect(user, password string) {
	e.t.Helper()
	if _, err := e.admin.SetACL(e.prefix, zk.DigestACL(zk.PermAll, user, password), -1); err != nil {
		e.t.Fatalf("protect prefix: %v", err)
	}
}

// authFile writes credentials with the given mode and returns the path.
func (e *env) authFile(name, creds string, mode os.FileMode) string {
	e.t.Helper()
	return testenv.WriteFile(e.t, filepath.Join(e.dir, name), []byte(creds+"\n"), mode)
}

func TestDigestAuthRefusals(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	e.protect("switchman", "right")
	good := e.authFile("good.secret", "switchman:right", 0o600)
	wrong := e.authFile("wrong.secret", "switchman:wrong", 0o600)
	open := e.authFile("open.secret", "switchman:right", 0o644)
	mark := filepath.Join(e.dir, "ran")
	tests := []struct {
		name   string
		extra  []string
		args   []string
		code   int
		stderr string
	}{
		{"missing auth, group read", nil, []string{"-g", "g"}, exitcode.NoPerm, "not authorized"},
		{"missing auth, lock create", nil, []string{"--lockname", "x"}, exitcode.NoPerm, "not authorized"},
		{"wrong password", []string{"auth_file: " + wrong}, []string{"-g", "g"}, exitcode.NoPerm, "not authorized"},
		{"world-readable auth file", []string{"auth_file: " + open}, []string{"-g", "g"}, exitcode.Config, "chmod 600 " + open},
		{"missing auth file", []string{"auth_file: " + good + ".nope"}, []string{"-g", "g"}, exitcode.Config, `key "auth_file"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.withConfig(fmt.Sprintf("c%d.yaml", i), tt.extra...)
			r := c.run(append(append([]string{"--hostname", "h1.example.com"}, tt.args...), sh("touch "+mark)...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("exit %d stderr %q; want %d and one line containing %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatal("child started despite the refusal")
			}
		})
	}
}

// TestDigestAuthLockACL runs a job with the right credentials and checks
// that its lock node is readable by all but cannot be deleted by a client
// without them.
func TestDigestAuthLockACL(t *testing.T) {
	srv := sharedZK(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	e.protect("switchman", "right")
	c := e.withConfig("auth.yaml", "auth_file: "+e.authFile("s.secret", "switchman:right", 0o600))
	// The trap is set before the pid file appears, so the TERM below can
	// never find the child without it.
	pidf, marks := filepath.Join(e.dir, "pid"), filepath.Join(e.dir, "marks")
	cmd := c.cmd(append([]string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "acl"},
		sh(`trap 'echo term >> `+marks+`; exit 0' TERM; echo $$ > `+pidf+`; while :; do sleep 0.1; done`)...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readPid(t, pidf)
	lockPath := e.prefix + "/locks/acl"
	if _, _, err := e.admin.Get(lockPath); err != nil {
		t.Fatalf("lock node not world-readable: %v", err)
	}
	acls, _, err := e.admin.GetACL(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	// ZooKeeper 3.8 masks the digest for a reader without ADMIN rights, so
	// only the identity's user part is compared.
	if len(acls) != 2 || acls[0].Scheme != "digest" || !strings.HasPrefix(acls[0].ID, "switchman:") ||
		acls[0].Perms != zk.PermAll || acls[1] != zk.WorldACL(zk.PermRead)[0] {
		t.Errorf("lock ACL %v, want all rights for digest switchman and read for the world", acls)
	}
	if err := e.admin.Delete(lockPath, -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("unauthenticated delete of a running job's lock: err %v, want NOAUTH", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The exit status after a forwarded TERM belongs to the signal tests;
	// here the job only has to end, bounded, its child having got the TERM.
	waitExit(t, cmd, 20*time.Second)
	waitFile(t, marks, 5*time.Second)
}

func TestExitCodeAuth(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"sentinel", lock.ErrAuth},
		{"wrapped sentinel", fmt.Errorf("read /p: %w", lock.ErrAuth)},
		{"library NOAUTH from another recipe", fmt.Errorf("create /p/q: %w", zk.ErrNoAuth)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != exitcode.NoPerm {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, exitcode.NoPerm)
			}
		})
	}
}
