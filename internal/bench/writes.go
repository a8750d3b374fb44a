package main

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// Writes per run targets: a winning run, a busy lock and a host not in
// the group, and what a lock name's first run may add.
const (
	targetWritesWin      = 4
	targetWritesBusy     = 2
	targetWritesNotInGrp = 2
	targetWritesFirstAdd = 1
)

// writesRuns is how many runs of each kind are counted.
const writesRuns = 5

// zxid reads the server's last zxid: the difference of two readings is
// the exact count of write transactions in between (see zktest.Zxid).
func (f *fixture) zxid() (int64, error) {
	return zktest.Zxid(f.srv.Addr, 5*time.Second)
}

// writesOf runs argv n times and returns the write transactions of each
// run, by zxid.
func (f *fixture) writesOf(argv []string, n int) ([]float64, error) {
	var out []float64
	for range n {
		z0, err := f.zxid()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%v: %w: %s", argv, err, b)
		}
		z1, err := f.zxid()
		if err != nil {
			return nil, err
		}
		out = append(out, float64(z1-z0))
	}
	return out, nil
}

// writesSection counts the ZooKeeper writes of each kind of run.
func writesSection(f *fixture) section {
	return measured("1c. ZooKeeper write transactions per run (server zxid before and after each run)", "writes", f.writesRows)
}

func (f *fixture) writesRows() ([]row, error) {
	sw := func(args ...string) []string {
		return append(append([]string{f.bin, "-c", f.cfg}, args...), "--", "/bin/true")
	}
	// Warm-up: the layout, the record directories and each host's
	// heartbeat (written once per 10 minutes) are not what a run costs.
	for _, a := range [][]string{sw("--lockname", "w"), sw("-g", group, "--hostname", benchHost, "--lockname", "wg"),
		sw("-g", group, "--hostname", "elsewhere.example", "--lockname", "n")} {
		if _, err := f.writesOf(a, 1); err != nil {
			return nil, err
		}
	}
	busy := prefix + "/locks/busy"
	if _, err := f.zk.Create(busy, []byte(`{"host":"holder.example","pid":1}`), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		return nil, fmt.Errorf("create %s: %w", busy, err)
	}
	defer f.zk.Delete(busy, -1)
	zkFloor, err := f.zkFloor(context.Background())
	if err != nil {
		return nil, err
	}
	var rows []row
	var win, first []float64
	for _, c := range []struct {
		name   string
		argv   []string
		out    *[]float64
		target string
		ok     func(s summary) bool
	}{
		{"minimal ZooKeeper-locked Go wrapper (session, ephemeral node, close)", []string{zkFloor, f.srv.Addr, prefix + "/floorw", "/bin/true"}, nil, "", nil},
		{"`switchman -- /bin/true`: winning run (session, lock create with the run record's start, record's finish, close)",
			sw("--lockname", "w"), &win, fmt.Sprintf("≤ %d", targetWritesWin), func(s summary) bool { return s.Max <= targetWritesWin }},
		{"winning run in a group", sw("-g", group, "--hostname", benchHost, "--lockname", "wg"), nil,
			fmt.Sprintf("≤ %d", targetWritesWin), func(s summary) bool { return s.Max <= targetWritesWin }},
		{"busy lock (session, close: the lock node is read, not created)", sw("--lockname", "busy"), nil,
			fmt.Sprintf("≤ %d", targetWritesBusy), func(s summary) bool { return s.Max <= targetWritesBusy }},
		{"host not in the group (session, close)", sw("-g", group, "--hostname", "elsewhere.example", "--lockname", "n"), nil,
			fmt.Sprintf("%d", targetWritesNotInGrp), func(s summary) bool { return s.Max <= targetWritesNotInGrp }},
	} {
		ws, err := f.writesOf(c.argv, writesRuns)
		if err != nil {
			return nil, err
		}
		if c.out != nil {
			*c.out = ws
		}
		r := row{Name: c.name, Unit: "writes", S: summarize(ws), Target: c.target}
		if c.ok != nil {
			r.Met = met(c.ok(r.S))
		}
		rows = append(rows, r)
	}
	for i := range writesRuns {
		ws, err := f.writesOf(sw("--lockname", fmt.Sprintf("first-%d", i)), 1)
		if err != nil {
			return nil, err
		}
		first = append(first, ws...)
	}
	fs, wsum := summarize(first), summarize(win)
	rows = append(rows, row{Name: "first run of a new lock name (its record's nodes are created in the lock's multi)", Unit: "writes",
		S: fs, Target: fmt.Sprintf("≤ winning run + %d", targetWritesFirstAdd), Met: met(fs.Max <= wsum.Median+targetWritesFirstAdd)})
	slots, err := f.slotWriteRows(sw)
	return append(rows, slots...), err
}

// slotWriteRows counts the writes of runs with --schedule: a winning run,
// whose claim rides the lock's create multi (and the schedule record with
// it when it changed), and a run whose slot is claimed already. Each
// winning run gets a slot of its own: schedule "M * * * *" has its slot at
// minute M of the hour, so minutes 0-4 are five slots of one job, after a
// warm-up at minute 59 that made the job's slot register.
func (f *fixture) slotWriteRows(sw func(args ...string) []string) ([]row, error) {
	slotRun := func(minute int) []string {
		return sw("--lockname", "slotted", "--schedule", fmt.Sprintf("%d * * * *", minute))
	}
	if _, err := f.writesOf(slotRun(59), 1); err != nil {
		return nil, err
	}
	var win []float64
	for m := range writesRuns {
		ws, err := f.writesOf(slotRun(m), 1)
		if err != nil {
			return nil, err
		}
		win = append(win, ws...)
	}
	claimed, err := f.writesOf(slotRun(0), writesRuns) // minute 0's slot ran above
	if err != nil {
		return nil, err
	}
	ws, cs := summarize(win), summarize(claimed)
	return []row{
		{Name: "winning run with `--schedule` (slot claim and schedule record in the lock's create multi)", Unit: "writes",
			S: ws, Target: fmt.Sprintf("≤ %d", targetWritesWin), Met: met(ws.Max <= targetWritesWin)},
		{Name: "run whose slot is claimed already (session, close)", Unit: "writes",
			S: cs, Target: fmt.Sprintf("≤ %d", targetWritesBusy), Met: met(cs.Max <= targetWritesBusy)},
	}, nil
}
