package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// TestRunRoundTrips counts the ZooKeeper requests of whole switchman runs
// on a server of its own (mntr's zk_packets_received, less what reading it
// adds): a regression guard against redundant existence checks, creates
// or reads on the hot path. Each request is named below; a change that
// adds one must say why here.
func TestRunRoundTrips(t *testing.T) {
	srv := zktest.Start(t)
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	// The admin session's pings would be counted too.
	e.admin.Close()
	// A long session: no heartbeat read (every S/20) falls inside a run.
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.SessionTimeout = "60s" })
	packets := func() int64 {
		n, err := zktest.Mntr(srv.Addr, "zk_packets_received", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	probe := packets()
	probe = packets() - probe // what one mntr read adds itself
	// The first run creates the layout and the run record's parents.
	if r := e.run("--lockname", "warm", "--", "true"); r.code != 0 {
		t.Fatalf("warm-up: %d %s", r.code, r.stderr)
	}
	for _, tt := range []struct {
		name string
		args []string
		want int64
	}{
		// connect; pauses listing, lock node read, run record read and
		// the job's history read (pipelined: one round trip; the finish
		// extends the history); lock multi (create+set, and the record's
		// start); lock watch and kill watch (guard); record and history
		// write at finish (one multi); close.
		{"locked", []string{"--lockname", "rt"}, 10},
		// The same plus the group data read (pipelined with the pauses).
		{"locked in a group", []string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "rtg"}, 11},
		// Not a member, counted on its second run: connect; group data
		// and pauses (one round trip); close. The first run read the lock
		// node, run record and history with them, before the group check
		// decided, and remembered the host outside the group (the memo in
		// its cache directory), so the second leaves those three out.
		{"not a member", []string{"-g", "g", "--hostname", "h2.example.com", "--lockname", "rtn"}, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A first run creates the record's node; count the second.
			if r := e.run(append(tt.args, "--", "true")...); r.code != 0 {
				t.Fatalf("exit %d %s", r.code, r.stderr)
			}
			before := packets()
			if r := e.run(append(tt.args, "--", "true")...); r.code != 0 {
				t.Fatalf("exit %d %s", r.code, r.stderr)
			}
			if got := packets() - before - probe; got != tt.want {
				t.Errorf("%d requests, want %d", got, tt.want)
			}
		})
	}
	// The host remembered outside the group joins it: its next run reads
	// the lock node, record and history after the group check (one round
	// trip later) and runs the command, with no request more than the
	// same first run of a member that was never remembered outside.
	t.Run("joined the group", func(t *testing.T) {
		admin, err := zktest.Connect([]string{srv.Addr}, 10*time.Second, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, err = admin.Set(e.prefix, []byte(`{"groups":{"g":["h1.example.com","h2.example.com","h3.example.com"]}}`), -1)
		admin.Close()
		if err != nil {
			t.Fatal(err)
		}
		count := func(host, lockname, ran string) int64 {
			t.Helper()
			before := packets()
			if r := e.run("-g", "g", "--hostname", host, "--lockname", lockname, "--", "touch", ran); r.code != 0 {
				t.Fatalf("exit %d %s", r.code, r.stderr)
			}
			if _, err := os.Stat(ran); err != nil {
				t.Errorf("%s: the command did not run: %v", host, err)
			}
			return packets() - before - probe
		}
		dir := t.TempDir()
		if r := e.run("--hostname", "h3.example.com", "--lockname", "warm", "--", "true"); r.code != 0 { // h3's heartbeat
			t.Fatalf("exit %d %s", r.code, r.stderr)
		}
		member := count("h3.example.com", "rtm", filepath.Join(dir, "h3"))
		if got := count("h2.example.com", "rtn", filepath.Join(dir, "h2")); got != member {
			t.Errorf("%d requests, want %d as a member's", got, member)
		}
	})
	// A run with a slot: the same plus the slot register's data and
	// children, read with the others (no round trip more); the claim
	// travels in the lock's multi. Today's slot of a daily schedule,
	// freed before the counted run by a session closed before counting.
	t.Run("locked with a slot", func(t *testing.T) {
		args := []string{"--lockname", "rts", "--schedule", "0 0 * * *", "--", "true"}
		if r := e.run(args...); r.code != 0 {
			t.Fatalf("exit %d %s", r.code, r.stderr)
		}
		admin, err := zktest.Connect([]string{srv.Addr}, 10*time.Second, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		kids, _, err := admin.Children(e.prefix + "/slots/rts")
		for _, k := range kids {
			if err == nil {
				err = admin.Delete(e.prefix+"/slots/rts/"+k, -1)
			}
		}
		admin.Close()
		if err != nil {
			t.Fatal(err)
		}
		before := packets()
		if r := e.run(args...); r.code != 0 {
			t.Fatalf("exit %d %s", r.code, r.stderr)
		}
		if got, want := packets()-before-probe, int64(12); got != want {
			t.Errorf("%d requests, want %d", got, want)
		}
	})
}

// TestRunWrites counts the ZooKeeper write transactions of whole switchman
// runs exactly, by the server's zxid before and after each run (every
// committed write takes one, a failed create and a session's create and
// close included). On a fleet every host of a group runs every line at the
// same minute, so writes per run are what the ensemble's capacity is spent
// on. Each write is named below; a change that adds one must say why here.
//
// It counts on a standalone server (global sessions) and on a 3-server
// ensemble with local sessions (read on the leader, which commits every
// write): there a session is created and closed by its server with no
// transaction until it creates an ephemeral node, which upgrades it (one
// transaction) just before the lock's create. A run that skips then costs
// nothing, and a winning run the same as with global sessions.
func TestRunWrites(t *testing.T) {
	for _, mode := range []struct {
		name  string
		local bool
	}{{"global sessions", false}, {"local sessions", true}} {
		t.Run(mode.name, func(t *testing.T) {
			if mode.local {
				ens := zktest.StartEnsemble(t, 3, zktest.Options{LocalSessions: true})
				leader, err := ens.Leader()
				if err != nil {
					t.Fatal(err)
				}
				runWrites(t, ens.Servers[0], ens.ConnString(), leader.Addr, true)
				return
			}
			srv := zktest.Start(t)
			runWrites(t, srv, srv.Addr, srv.Addr, false)
		})
	}
}

// runWrites is TestRunWrites on the servers hosts, of which srv holds the
// test's prefix, reading the zxid on leader.
func runWrites(t *testing.T, srv *zktest.Server, hosts, leader string, local bool) {
	e := newEnv(t, srv, `{"groups":{"g":["h1.example.com"]}}`)
	// A long session and a fresh heartbeat stamp (written by the warm-up
	// run): no heartbeat write falls inside a counted run.
	e.setConfig(func(c *zktest.SwitchmanConfig) { c.SessionTimeout, c.Hosts = "60s", hosts })
	zxid := func() int64 {
		z, err := zktest.Zxid(leader, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	writes := func(args ...string) int64 {
		t.Helper()
		before := zxid()
		if r := e.run(append(args, "--", "true")...); r.code != 0 {
			t.Fatalf("%q: exit %d %s", args, r.code, r.stderr)
		}
		return zxid() - before
	}
	// The first run of all creates the layout (locks, queues, semaphores,
	// runs) and the heartbeat.
	writes("--lockname", "warm")
	// Another session holds "busy".
	if _, err := e.admin.Create(e.prefix+"/locks/busy", []byte(`{"host":"h9.example.com","pid":1}`),
		zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		repeat bool  // count the second run
		want   int64 // with global sessions
		local  int64 // with local sessions
	}{
		// Session create; the lock's create multi, which carries the run
		// record's start; the run record's finish; session close (which
		// deletes the lock node).
		// With local sessions: the session's upgrade instead of its create.
		{"winning locked run", []string{"--lockname", "w"}, true, 4, 4},
		{"winning run in a group", []string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "wg"}, true, 4, 4},
		// The same: the lock's multi also creates the record's parent and
		// node, so a job's first run anywhere costs no write more.
		{"first run of a new lock name", []string{"--lockname", "new"}, false, 4, 4},
		// Its first run on a second host: the multi that creates the
		// lock's record directory fails (another host made it), and the
		// one without it takes the lock: one write more, once per host.
		{"first run on another host", []string{"--lockname", "new", "--hostname", "h3.example.com"}, false, 5, 5},
		// Session create and close: the lock node's read, pipelined with
		// the other checks' reads, finds it held; no create is tried.
		// With local sessions nothing: the busy check is a read.
		{"busy lock", []string{"--lockname", "busy"}, false, 2, 0},
		// Session create and close (the first run of a host writes its
		// heartbeat); with local sessions nothing.
		{"host not in the group", []string{"-g", "g", "--hostname", "h2.example.com", "--lockname", "n"}, true, 2, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.repeat {
				writes(tt.args...)
			}
			if tt.name == "first run on another host" {
				writes("--lockname", "warm", "--hostname", "h3.example.com") // the host's heartbeat
			}
			want := tt.want
			if local {
				want = tt.local
			}
			if got := writes(tt.args...); got != want {
				t.Errorf("%d writes, want %d", got, want)
			}
		})
	}
	// Runs with a slot (--schedule). A daily schedule: every run of the
	// test falls in today's slot, which unclaim frees again.
	daily := []string{"--schedule", "0 0 * * *"}
	writes(append([]string{"--lockname", "warm-slot"}, daily...)...) // creates PREFIX/slots
	unclaim := func(name string) {
		kids, _, err := e.admin.Children(e.prefix + "/slots/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			if err := e.admin.Delete(e.prefix+"/slots/"+name+"/"+k, -1); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name    string
		args    []string
		unclaim bool  // free the slot (outside the count) before the counted run
		want    int64 // with global sessions
		local   int64 // with local sessions
	}{
		// The first run of a job with a slot: 4 still, as the multi
		// creates the job's slot register, with its schedule record, and
		// the claim.
		{"first slot of a new lock name", append([]string{"--lockname", "ws"}, daily...), false, 4, 4},
		// 4: the slot's claim travels in the lock's create multi.
		{"winning run with a slot", append([]string{"--lockname", "ws"}, daily...), true, 4, 4},
		// 4: a changed schedule record is set in the same multi.
		{"schedule changed", []string{"--lockname", "ws", "--schedule", "@daily"}, true, 4, 4},
		// Session create and close: the register's read, pipelined with
		// the other checks' reads, finds the slot claimed. With local
		// sessions nothing, as for a busy lock.
		{"slot already claimed", append([]string{"--lockname", "ws"}, daily...), false, 2, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unclaim {
				unclaim("ws")
			}
			want := tt.want
			if local {
				want = tt.local
			}
			if got := writes(tt.args...); got != want {
				t.Errorf("%d writes, want %d", got, want)
			}
		})
	}
}
