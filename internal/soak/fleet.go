package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/faultproxy"
	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

// Timing of the fleet. S is short so that a fault plays out in seconds; the
// grace is below switchman's cap on the self-fencing path (0.18 S). The tick
// (-tick, default a second) is cron's minute shrunk.
const (
	sessionTimeout = 4 * time.Second
	graceTimeout   = 500 * time.Millisecond
	prefix         = "/soak"
	nHosts         = 6
	// adminSession outlives every fault (the longest stops the ensemble
	// for a restart), so the harness's view never disappears.
	adminSession = 30 * time.Second
)

// tick is how often every host launches its jobs (-tick): a second for
// the release run; CI, which shares its two cores with the test suite,
// launches half as often.
var tick = time.Second

// host is one simulated machine: a name, a fault proxy in front of the
// ensemble, its config file and the random source of its job shapes.
type host struct {
	name  string
	proxy *faultproxy.Proxy
	cfg   string
	rng   *rand.Rand // used by this host's driver only
	perl  bool       // runs the original Perl switchman
	// clock is how far off this host's slot clock is (a clock jump), as a
	// time.Duration; its runs get it in skewclock.EnvVar.
	clock atomic.Int64
}

// fleet is everything one soak run owns.
type fleet struct {
	seed      uint64
	dir, bin  string // scratch directory; directory of switchman and histchild
	orig      string // the original switchman, "" when not built
	ens       *zktest.Ensemble
	admin     *zk.Conn
	hosts     []*host
	notifyDir string
	cronDir   string
	opCfg     string // the operator's config: straight to the ensemble
	start     time.Time
	plan      []Fault

	mu       sync.Mutex
	launches []*launch
	seq      int
	ev       evidence
	wg       sync.WaitGroup
	calm     bool // set before the quiesce sweep: children that just succeed
}

// zkOptions: local sessions, as the README's production zoo.cfg has them;
// a restarted JVM gets two minutes to serve on a box the fleet loads.
var zkOptions = zktest.Options{LocalSessions: true, StartTimeout: 2 * time.Minute}

// newFleet builds the binaries (and the original, from buildScript when it
// is not empty), starts the ensemble and writes every host's config.
func newFleet(seed uint64, buildScript string) (*fleet, error) {
	dir, err := os.MkdirTemp("", "switchman-soak-")
	if err != nil {
		return nil, err
	}
	if err := testenv.Isolate(dir); err != nil {
		return nil, err
	}
	f := &fleet{seed: seed, dir: dir, bin: filepath.Join(dir, "bin"), notifyDir: filepath.Join(dir, "notify"),
		cronDir: filepath.Join(dir, "cron.d")}
	f.ev.init()
	if err := f.setup(buildScript); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *fleet) setup(buildScript string) error {
	for _, d := range []string{f.notifyDir, f.cronDir, filepath.Join(f.dir, "runs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := f.build(); err != nil {
		return err
	}
	if buildScript != "" {
		if err := f.buildOriginal(buildScript); err != nil {
			return err
		}
	}
	ens, err := zktest.StartEnsembleServers(3, zkOptions)
	if err != nil {
		return fmt.Errorf("start 3-server zookeeper: %w", err)
	}
	f.ens = ens
	if f.admin, err = zktest.Connect(ens.Addrs(), adminSession, 30*time.Second); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if _, err := f.admin.Create(prefix, []byte(groupData(nil)), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return fmt.Errorf("create %s: %w", prefix, err)
	}
	f.opCfg = filepath.Join(f.dir, "operator.yaml")
	op := zktest.SwitchmanConfig{Hosts: ens.ConnString(), Prefix: prefix, SessionTimeout: "10s", ConnectTimeout: "5s"}
	if err := op.Write(f.opCfg); err != nil {
		return err
	}
	for i := range nHosts {
		if err := f.addHost(fmt.Sprintf("h%d.test", i+1), false); err != nil {
			return err
		}
	}
	if f.orig != "" {
		return f.addHost("orig.test", true)
	}
	return nil
}

// build compiles switchman and histchild from this module, switchman with
// the soakclock tag (internal/skewclock).
func (f *fleet) build() error {
	for pkg, name := range map[string]string{
		"github.com/acme/switchman/cmd/switchman":                  "switchman",
		"github.com/acme/switchman/internal/history/cmd/histchild": "histchild",
	} {
		// The soakclock tag lets a run's slot clock be moved (clock jumps).
		cmd := exec.Command("go", "build", "-tags", "soakclock", "-o", filepath.Join(f.bin, name), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
	}
	return nil
}

// buildOriginal builds the original Perl switchman with its build script
// (idempotent, minutes the first time).
func (f *fleet) buildOriginal(script string) error {
	dest := filepath.Join(f.dir, "original")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "bash", script, dest).CombinedOutput(); err != nil {
		return fmt.Errorf("build the original with %s: %w\n%s", script, err, out)
	}
	f.orig = filepath.Join(dest, "bin", "switchman")
	return nil
}

// The groups of the prefix data: "all" (every host, the standby order of
// the slot job), and "outer", nested of two inner groups and a host, which
// operator actions move, delete and re-add.
var (
	allHosts = []string{"h1.test", "h2.test", "h3.test", "h4.test", "h5.test", "h6.test"}
	innerA   = []string{"h1.test", "h2.test"}
	innerB   = []string{"h3.test", "h4.test"}
)

// groupData renders the prefix znode's JSON; groups overrides or (with a
// nil value) removes groups of the default layout.
func groupData(groups map[string][]string) string {
	g := map[string]any{"all": allHosts, "inner-a": innerA, "inner-b": innerB,
		"outer": []string{"inner-a", "inner-b", "h6.test"}}
	for k, v := range groups {
		if v == nil {
			delete(g, k)
		} else {
			g[k] = v
		}
	}
	b, _ := json.Marshal(map[string]any{"groups": g, "resources": []string{"db"}})
	return string(b)
}

// addHost creates a host's proxy and config. The notify command writes each
// event to a file of its own, so that the checker can count them.
func (f *fleet) addHost(name string, perl bool) error {
	p, err := faultproxy.New(f.ens.Addrs())
	if err != nil {
		return err
	}
	h := &host{name: name, proxy: p, cfg: filepath.Join(f.dir, name+".conf"), perl: perl,
		rng: rand.New(rand.NewPCG(f.seed, uint64(len(f.hosts)+1)))}
	f.hosts = append(f.hosts, h)
	c := zktest.SwitchmanConfig{Hosts: p.Addr(), Prefix: prefix, SessionTimeout: sessionTimeout.String(), ConnectTimeout: "3s",
		TerminationTimeout: zktest.Seconds(graceTimeout), Logfile: filepath.Join(f.dir, name+".log"), Loglevel: "info"}
	if perl {
		// The original's JSON; its session keeps its default: it does not
		// stop its command when the session is lost, so no fault targets it.
		c = zktest.SwitchmanConfig{JSON: true, Hosts: p.Addr(), Prefix: prefix, TerminationTimeout: "1"}
	} else {
		script := filepath.Join(f.dir, "notify.sh")
		if err := os.WriteFile(script, []byte("#!/bin/sh\nexec cat >\""+f.notifyDir+"/$(date +%s%N)-$$.json\"\n"), 0o755); err != nil {
			return err
		}
		c.Extra = []string{fmt.Sprintf("notify: [%q]", "sh "+script)}
	}
	return c.Write(h.cfg)
}

// elapsed is the offset of t from the start of the run.
func (f *fleet) elapsed(t time.Time) time.Duration { return t.Sub(f.start) }

// close stops everything the run started and removes its directory.
func (f *fleet) close() {
	for _, h := range f.hosts {
		h.proxy.Close()
	}
	if f.admin != nil {
		f.admin.Close()
	}
	if f.ens != nil {
		_ = f.ens.Close()
	}
	os.RemoveAll(f.dir)
}

// healthy resumes paused servers, starts stopped ones (all at once: a
// member waits for a quorum before it serves, and zktest kills a member
// that does not serve in time, so it tries again) and waits until a leader
// serves.
func (f *fleet) healthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var wg sync.WaitGroup
		for _, s := range f.ens.Servers {
			_ = s.Resume()
			if !s.Running() {
				wg.Go(func() { _ = s.Start() })
			}
		}
		wg.Wait()
		_, err := f.ens.Leader()
		if err == nil {
			if _, _, err = f.admin.Exists("/"); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ensemble not healthy within %s: %w", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// operator runs a switchman command as an operator would, bounded.
func (f *fleet) operator(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(f.bin, "switchman"), append([]string{"-c", f.opCfg}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return strings.TrimSpace(string(out)), &opError{args: args, code: ee.ExitCode(), out: firstLine(string(out))}
	}
	return strings.TrimSpace(string(out)), err
}

// opError is an operator command's non-zero exit.
type opError struct {
	args []string
	code int
	out  string
}

func (e *opError) Error() string {
	return fmt.Sprintf("switchman %s: exit %d: %s", strings.Join(e.args, " "), e.code, e.out)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
