package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// TestLocalSessionServerDeathKeepsLocklessRun runs a --no-lock --group job
// on a 3-server ensemble with local sessions and kills the server its
// session is on while the command runs. The session, which never created
// an ephemeral node, is local: the client's reconnect to another server
// reads as expired and the client opens a new session. The run holds no
// lock or lease, so it re-checks its group on the new session and lets the
// command finish, as a global session's move to another server would.
func TestLocalSessionServerDeathKeepsLocklessRun(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3, zktest.Options{LocalSessions: true})
	e := newEnv(t, ens.Servers[0], `{"groups":{"g":["h1.example.com"]}}`)
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.SessionTimeout, c.Hosts = "20s", ens.ConnString() })
	conns := func() []int64 {
		n := make([]int64, len(ens.Servers))
		for i, s := range ens.Servers {
			v, err := zktest.Mntr(s.Addr, "zk_num_alive_connections", 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			n[i] = v
		}
		return n
	}
	before := conns()
	done := filepath.Join(e.dir, "done")
	c := e.cmd(append([]string{"--no-lock", "-g", "g", "--hostname", "h1.example.com"}, sh("sleep 5; echo ok > "+done)...)...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var victim *zktest.Server
	for deadline := time.Now().Add(10 * time.Second); victim == nil && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		for i, n := range conns() {
			if n > before[i] {
				victim = ens.Servers[i]
			}
		}
	}
	if victim == nil {
		t.Fatal("no server got the run's connection")
	}
	time.Sleep(time.Second) // the command runs
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, c, 30*time.Second); code != 0 {
		log, _ := os.ReadFile(e.conf.Logfile)
		t.Fatalf("exit %d: the server's death stopped a run that holds nothing; log:\n%s", code, log)
	}
	waitFile(t, done, time.Second)
	if log, _ := os.ReadFile(e.conf.Logfile); !strings.Contains(string(log), "session replaced after an expiry") {
		t.Errorf("the session was not replaced: did the kill hit its server? log:\n%s", log)
	}
}
