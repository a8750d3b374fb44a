// Command demo runs switchman end to end on a throwaway local ZooKeeper:
// two simulated hosts run the same crontab line every second, one lock keeps
// the job to one host at a time, and a live group move stops the job on the
// first host and lets it start on the second.
//
// Run it with `make demo` (or `go run ./examples/demo`).
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func run() error {
	dir, err := os.MkdirTemp("", "switchman-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// switchman's heartbeat stamps go here, not to the user's cache.
	if err := testenv.Isolate(dir); err != nil {
		return err
	}

	say("building switchman")
	bin := filepath.Join(dir, "switchman")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/switchman").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	say("starting a throwaway ZooKeeper on 127.0.0.1")
	if err := zktest.EnsureInstalled(); err != nil {
		return err
	}
	// Local sessions, as in production (README): a quorum of one.
	srv, err := zktest.StartServer(zktest.Options{LocalSessions: true})
	if err != nil {
		return err
	}
	defer srv.Close()
	say("ZooKeeper serves on %s (pid %d)", srv.Addr, srv.PID())

	conn, err := zktest.Connect([]string{srv.Addr}, 5*time.Second, 20*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	groups := func(host string) []byte {
		return []byte(fmt.Sprintf(`{"groups": {"reports": ["%s"], "all": ["reports", "host-b.demo.example"]}, "resources": []}`, host))
	}
	if _, err := conn.Create("/switchman", groups("host-a.demo.example"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		return err
	}
	say(`group data in /switchman: "reports" -> host-a.demo.example`)

	cfg := filepath.Join(dir, "switchman.yaml")
	demo := zktest.SwitchmanConfig{Hosts: srv.Addr, Prefix: "/switchman", SessionTimeout: "6s", TerminationTimeout: "1"}
	if err := demo.Write(cfg); err != nil {
		return err
	}
	job := filepath.Join(dir, "build-report")
	if err := os.WriteFile(job, []byte(jobScript), 0o755); err != nil {
		return err
	}
	say("crontab line on both hosts (run every second here instead of every 5 minutes):")
	fmt.Printf("\n    * * * * *  app  switchman -c %s --group reports -- %s --daily\n\n", cfg, job)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, host := range []string{"host-a.demo.example", "host-b.demo.example"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cron(ctx, bin, cfg, host, job)
		}()
	}
	time.Sleep(5 * time.Second)
	say(`OPERATOR: moving group "reports" to host-b.demo.example`)
	if _, err := conn.Set("/switchman", groups("host-b.demo.example"), -1); err != nil {
		return err
	}
	time.Sleep(6 * time.Second)
	cancel()
	wg.Wait()
	say("done: the job ran on one host at a time, and moved with the group")
	return nil
}

// jobScript is the demo's cron job: it reports progress until stopped.
const jobScript = `#!/bin/sh
trap 'echo "    [$SWITCHMAN_HOST] build-report got SIGTERM, cleaning up"; exit 143' TERM
echo "    [$SWITCHMAN_HOST] build-report started (pid $$, fencing token $SWITCHMAN_FENCING_TOKEN)"
i=0
while :; do
  i=$((i+1)); echo "    [$SWITCHMAN_HOST] build-report working... $i"
  sleep 1 & wait
done
`

// cron runs the crontab line every second on one simulated host.
func cron(ctx context.Context, bin, cfg, host, job string) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var running sync.WaitGroup
	defer running.Wait()
	for {
		running.Add(1)
		go func() {
			defer running.Done()
			runOnce(ctx, bin, cfg, host, job)
		}()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func runOnce(ctx context.Context, bin, cfg, host, job string) {
	c := exec.Command(bin, "-c", cfg, "--group", "reports", "--hostname", host, "--", job, "--daily")
	out, _ := c.StdoutPipe()
	c.Stderr = c.Stdout
	if err := c.Start(); err != nil {
		say("[%s] cannot start switchman: %v", host, err)
		return
	}
	lines := make(chan struct{})
	go func() { relay(out); close(lines) }()
	stop := context.AfterFunc(ctx, func() { c.Process.Signal(os.Interrupt) })
	defer stop()
	<-lines
	c.Wait()
	if code := c.ProcessState.ExitCode(); code != 0 && ctx.Err() == nil {
		say("[%s] switchman exited %d", host, code)
	}
}

func relay(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := strings.TrimRight(sc.Text(), " "); line != "" {
			say("%s", line)
		}
	}
}
