package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.cfg, []byte(strings.Replace(string(b), "session_timeout: 4s", "session_timeout: 60s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	packets := func() int64 {
		out, err := zktest.FourLetter(srv.Addr, "mntr", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(l, "zk_packets_received\t"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("mntr has no zk_packets_received:\n%s", out)
		return 0
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
		// connect, pauses listing, lock multi (create+set), lock watch and
		// kill watch (guard), run record read+write at start, write at
		// finish, close.
		{"locked", []string{"--lockname", "rt"}, 9},
		// The same plus the group data read (pipelined with the pauses).
		{"locked in a group", []string{"-g", "g", "--hostname", "h1.example.com", "--lockname", "rtg"}, 10},
		// Not a member: connect, group data and pauses, close.
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
}
