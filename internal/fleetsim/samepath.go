package main

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// The fixture of the same-path check: one group holding one host, and a
// lock held by a session of the harness.
const (
	checkPrefix = "/samepath"
	checkGroup  = "check"
	checkIn     = "check-in.fleet"
	checkOut    = "check-out.fleet"
	checkBusy   = "check-busy"
	// checkRounds is how many runs of each kind and way are counted.
	checkRounds = 3
)

// cost is what one run cost the ensemble.
type cost struct {
	Writes   int64 // quorum transactions (zxid)
	Requests int64 // packets received, the harness's own reads taken out
}

// kindCost compares, for one kind of run, the binary with the in-process
// run: the costs of each round, in the same order.
type kindCost struct {
	Kind              kind
	Binary, InProcess []cost
}

// same says whether both ways cost the same: the same median writes and
// requests. A round may count one packet more than the others: a ping
// of the harness's own session (which holds the busy lock), or of a run
// that a loaded machine slowed past a third of its session timeout.
func (k kindCost) same() bool {
	bw, br := medianCost(k.Binary)
	iw, ir := medianCost(k.InProcess)
	return bw == iw && br == ir
}

// medianCost is the median writes and the median requests of cs.
func medianCost(cs []cost) (writes, requests float64) {
	ws := make([]int64, len(cs))
	rs := make([]int64, len(cs))
	for i, c := range cs {
		ws[i], rs[i] = c.Writes, c.Requests
	}
	return median(ws), median(rs)
}

// checkArgs returns the wrapper line of each kind of run in the check.
func checkArgs(cfgPath string) map[kind][]string {
	line := func(host, lockName string) []string {
		return []string{"-c", cfgPath, "--hostname", host, "-g", checkGroup, "--lockname", lockName, "--", "/bin/true"}
	}
	return map[kind][]string{
		kindWin:        line(checkIn, "check-win"),
		kindBusy:       line(checkIn, checkBusy),
		kindNotInGroup: line(checkOut, "check-out"),
	}
}

// samePath runs each kind of run with the binary bin and in this process,
// checkRounds times each, alternating, and returns what each run cost.
// A first run of each way and kind is not counted: it writes the host's
// heartbeat, creates the lock name's record nodes and remembers a host
// outside the group, which later runs do not.
func samePath(ctx context.Context, c *cluster, bin, cfgPath string) ([]kindCost, error) {
	// The longest session the servers grant: its pings, every third of
	// it, are the only requests the harness sends during a round.
	admin, err := zktest.Connect(c.e.Addrs(), zktest.DefaultMaxSessionTimeout, fourLetterTimeout)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	data := fmt.Sprintf(`{"groups": {%q: [%q]}}`, checkGroup, checkIn)
	if _, err := admin.Create(checkPrefix, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return nil, fmt.Errorf("create %s: %w", checkPrefix, err)
	}
	args := checkArgs(cfgPath)
	ways := []func([]string) error{
		func(a []string) error { return runBinary(ctx, bin, a) },
		func(a []string) error { return runInProcess(ctx, a) },
	}
	for _, k := range []kind{kindWin, kindBusy, kindNotInGroup} {
		for _, way := range ways {
			if err := way(args[k]); err != nil {
				return nil, fmt.Errorf("warm-up %s run: %w", k, err)
			}
		}
	}
	busy := checkPrefix + "/locks/" + checkBusy
	if _, err := admin.Create(busy, []byte(`{"host":"holder.fleet","pid":1}`), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		return nil, fmt.Errorf("create %s: %w", busy, err)
	}
	overhead, err := c.readOverhead()
	if err != nil {
		return nil, err
	}
	var out []kindCost
	for _, k := range []kind{kindWin, kindBusy, kindNotInGroup} {
		kc := kindCost{Kind: k}
		for range checkRounds {
			for i, way := range ways {
				cs, err := c.costOf(func() error { return way(args[k]) }, overhead)
				if err != nil {
					return nil, fmt.Errorf("%s run: %w", k, err)
				}
				if i == 0 {
					kc.Binary = append(kc.Binary, cs)
				} else {
					kc.InProcess = append(kc.InProcess, cs)
				}
			}
		}
		out = append(out, kc)
	}
	return out, nil
}

// runBinary runs the binary's wrapper command; it must exit 0 (a skip
// does too).
func runBinary(ctx context.Context, bin string, args []string) error {
	b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", bin, args, err, b)
	}
	return nil
}

// runInProcess runs the same line through job.Run in this process.
func runInProcess(ctx context.Context, args []string) error {
	if o := runOne(ctx, time.Now(), 0, args, false); o.Kind == kindFailed || o.Status != "0" {
		return fmt.Errorf("in-process %v: exit %s: %s", args, o.Status, o.Err)
	}
	return nil
}

// costOf runs run between two readings of the ensemble and returns its
// cost.
func (c *cluster) costOf(run func() error, overhead int64) (cost, error) {
	before, err := c.read()
	if err != nil {
		return cost{}, err
	}
	if err := run(); err != nil {
		return cost{}, err
	}
	// A closed session's close reaches the followers' counts a moment
	// after the client has gone.
	time.Sleep(200 * time.Millisecond)
	after, err := c.read()
	if err != nil {
		return cost{}, err
	}
	d := after.since(before)
	return cost{Writes: d.Zxid, Requests: d.Counters["zk_packets_received"] - overhead}, nil
}

// readOverhead is how many packets one read of the ensemble itself adds
// to the received count (four-letter words count): the least of a few
// back-to-back readings.
func (c *cluster) readOverhead() (int64, error) {
	least := int64(-1)
	for range 4 {
		d, err := c.costOf(func() error { return nil }, 0)
		if err != nil {
			return 0, err
		}
		if least < 0 || d.Requests < least {
			least = d.Requests
		}
	}
	return least, nil
}
