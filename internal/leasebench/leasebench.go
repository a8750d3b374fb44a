// Package leasebench measures leases end to end: many real switchman
// processes lease one resource at once, each running a child of a fixed
// duration, and the benchmark reports the wall time against the ideal, the
// largest number of children seen running at once, and how many grants
// broke queue order. `make bench` calls Run (50 jobs on r=1:3
// with a 200 ms child).
package leasebench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Resource is the resource every job leases. The prefix znode's data must
// list it in "resources".
const Resource = "r"

// jobTimeout bounds one switchman process: far beyond any sane run of the
// benchmark, so a hung job fails it instead of hanging `make bench`.
const jobTimeout = 5 * time.Minute

// ErrNotListed means the prefix data does not list Resource.
var ErrNotListed = errors.New("leasebench: resource not listed in the prefix data")

// Result is one benchmark run.
type Result struct {
	// Jobs, Total and Child are the parameters: Jobs processes leasing
	// r=1:Total, each child running for Child.
	Jobs, Total int
	Child       time.Duration
	// Wall is from the first start to the last exit.
	Wall time.Duration
	// Ideal is Jobs/Total x Child: perfect packing, no overhead.
	Ideal time.Duration
	// MaxConcurrency is the most children seen running at once; above
	// Total is a broken semaphore.
	MaxConcurrency int
	// OrderViolations counts pairs of jobs granted their lease in the
	// opposite order of their queue positions; any is a broken queue.
	OrderViolations int
	// Ran is how many children ran.
	Ran int
}

// String formats the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d jobs on %s=1:%d, %s child: wall %s (ideal %s, %.2fx), max concurrency %d, order violations %d, ran %d",
		r.Jobs, Resource, r.Total, r.Child, r.Wall.Round(time.Millisecond), r.Ideal.Round(time.Millisecond),
		float64(r.Wall)/float64(r.Ideal), r.MaxConcurrency, r.OrderViolations, r.Ran)
}

// Run starts jobs switchman processes at once, each with its own lock name
// and --lease r=1:total, each running `sleep child` between two time
// stamps, and measures. configPath is a switchman config whose prefix
// exists and lists "r" in its resources (else an error wrapping
// ErrNotListed). Run writes a copy of the config that adds a log file, in
// a temporary directory it removes; the queue positions and grants are
// read from that log. A job that fails makes Run return an error with the
// partial result.
func Run(switchmanBin, configPath string, jobs, total int, child time.Duration) (Result, error) {
	res := Result{Jobs: jobs, Total: total, Child: child, Ideal: time.Duration(float64(jobs) / float64(total) * float64(child))}
	if jobs < 1 || total < 1 || child <= 0 {
		return res, fmt.Errorf("leasebench: need jobs >= 1, total >= 1 and a positive child duration")
	}
	dir, err := os.MkdirTemp("", "leasebench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	cfg, logPath := filepath.Join(dir, "switchman.yaml"), filepath.Join(dir, "switchman.log")
	if err := writeConfig(configPath, cfg, logPath); err != nil {
		return res, err
	}
	b := &bench{bin: switchmanBin, cfg: cfg, dir: dir, total: total, child: child}
	if err := b.probe(); err != nil {
		return res, err
	}
	start := time.Now()
	errs := b.runAll(jobs)
	res.Wall = time.Since(start)
	spans := b.spans(jobs)
	res.Ran, res.MaxConcurrency = len(spans), maxOverlap(spans)
	grants, err := readGrants(logPath)
	if err != nil {
		return res, err
	}
	res.OrderViolations = inversions(grants)
	if len(errs) > 0 {
		return res, fmt.Errorf("leasebench: %d of %d jobs failed, first: %w", len(errs), jobs, errs[0])
	}
	if res.Ran != jobs {
		return res, fmt.Errorf("leasebench: %d of %d children left no time stamps", jobs-res.Ran, jobs)
	}
	return res, nil
}

// writeConfig copies the config at from to to, with logfile set to logPath
// at level info, where switchman logs each job's queue and lease nodes.
// Every other key, TLS and auth among them, is kept as written.
func writeConfig(from, to, logPath string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("leasebench: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("leasebench: %s: not a config mapping", from)
	}
	setKey(doc.Content[0], "logfile", logPath)
	setKey(doc.Content[0], "loglevel", "info")
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("leasebench: %w", err)
	}
	return os.WriteFile(to, out, 0o600)
}

func setKey(m *yaml.Node, key, value string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
			return
		}
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
}

type bench struct {
	bin, cfg, dir string
	total         int
	child         time.Duration
}

// probe runs one job with a no-op child, so that a missing resource or an
// unreachable ZooKeeper is reported once, clearly.
func (b *bench) probe() error {
	code, stderr, err := b.run("leasebench-probe", "true")
	switch {
	case err != nil:
		return err
	case code == 65 && strings.Contains(stderr, "unknown resource"):
		return fmt.Errorf("%w: add %q to the prefix znode's \"resources\" (%s)", ErrNotListed, Resource, strings.TrimSpace(stderr))
	case code != 0:
		return fmt.Errorf("leasebench: probe job exited %d: %s", code, strings.TrimSpace(stderr))
	}
	return nil
}

// run runs one switchman job to completion and returns its exit status and
// stderr.
func (b *bench) run(lockName string, child ...string) (int, string, error) {
	args := append([]string{"-c", b.cfg, "--lockname", lockName, "--lease", fmt.Sprintf("%s=1:%d", Resource, b.total), "--"}, child...)
	cmd := exec.Command(b.bin, args...)
	// switchman's heartbeat stamp goes to the bench's directory, not to
	// the user's cache.
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(b.dir, "cache"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, "", fmt.Errorf("leasebench: start %s: %w", b.bin, err)
	}
	timer := time.AfterFunc(jobTimeout, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return 0, stderr.String(), fmt.Errorf("leasebench: %s: %w", lockName, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), nil
}

// runAll starts every job at once and waits for all of them.
func (b *bench) runAll(jobs int) []error {
	// The child stamps its start and end with date(1): a few milliseconds
	// of fork and exec inside the measured span, never outside it, so a
	// real overlap of children is never hidden.
	script := fmt.Sprintf(`date +%%s%%N > %s/$1.start; sleep %s; date +%%s%%N > %s/$1.end`,
		b.dir, strconv.FormatFloat(b.child.Seconds(), 'f', -1, 64), b.dir)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("leasebench-%d", i)
			code, stderr, err := b.run(name, "/bin/sh", "-c", script, "sh", strconv.Itoa(i))
			if err == nil && code != 0 {
				err = fmt.Errorf("%s exited %d: %s", name, code, strings.TrimSpace(stderr))
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// span is when one child ran, in unix nanoseconds.
type span struct{ start, end int64 }

func (b *bench) spans(jobs int) []span {
	var out []span
	for i := range jobs {
		s, err1 := readStamp(filepath.Join(b.dir, fmt.Sprintf("%d.start", i)))
		e, err2 := readStamp(filepath.Join(b.dir, fmt.Sprintf("%d.end", i)))
		if err1 == nil && err2 == nil {
			out = append(out, span{s, e})
		}
	}
	return out
}

func readStamp(p string) (int64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// maxOverlap returns the largest number of spans covering one instant. A
// span ending exactly when another starts does not overlap it.
func maxOverlap(spans []span) int {
	type edge struct {
		at    int64
		delta int
	}
	edges := make([]edge, 0, 2*len(spans))
	for _, s := range spans {
		edges = append(edges, edge{s.start, 1}, edge{s.end, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta < edges[j].delta // ends before starts at the same instant
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}

// grant is one job's queue position and grant position for Resource.
type grant struct{ queued, granted int64 }

// readGrants reads the "leases held" lines switchman logs: the sequence
// numbers of each job's queue node and lease node.
func readGrants(logPath string) ([]grant, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return nil, fmt.Errorf("leasebench: %w", err)
	}
	defer f.Close()
	var out []grant
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var line struct {
			Message    string   `json:"message"`
			QueueNodes []string `json:"queue_nodes"`
			LeaseNodes []string `json:"lease_nodes"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Message != "leases held" || len(line.QueueNodes) != 1 || len(line.LeaseNodes) != 1 {
			continue
		}
		q, ok1 := seq(line.QueueNodes[0])
		g, ok2 := seq(line.LeaseNodes[0])
		if ok1 && ok2 {
			out = append(out, grant{q, g})
		}
	}
	return out, sc.Err()
}

// seq returns the sequence number ZooKeeper appended to a node's name.
func seq(node string) (int64, bool) {
	base := path.Base(node)
	if len(base) < 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(base[len(base)-10:], 10, 64)
	return n, err == nil
}

// inversions counts pairs granted in the opposite order of their queue
// positions.
func inversions(gs []grant) int {
	n := 0
	for i := range gs {
		for j := range gs {
			if gs[i].queued < gs[j].queued && gs[i].granted > gs[j].granted {
				n++
			}
		}
	}
	return n
}
