package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memFields are the /proc/PID/status fields sampled: resident set, its
// peak, and its split into anonymous memory (heap, stacks: what GOGC
// could shrink) and file-backed pages (the mapped binary and libraries).
var memFields = []string{"VmRSS", "VmHWM", "RssAnon", "RssFile"}

// memoryResult holds the switchman process's own memory while its child
// sleeps: kilobytes per field of memFields, one value per run; and, under
// ShimRSS and ShimAnon, the VmRSS and RssAnon of switchman's shim process
// (the job's parent, when the wrapper puts one between itself and the job).
type memoryResult map[string][]float64

// memorySettle is how long a run is left alone before its memory is read:
// the guard, its heartbeat and the first ZooKeeper pings have then all run.
const memorySettle = 1500 * time.Millisecond

// measureMemory starts runs with a sleeping child and reads the memory of
// the switchman process (and of its shim, if any; not of the job) from
// /proc.
func measureMemory(f *fixture, runs int) (memoryResult, error) {
	r := memoryResult{}
	for range runs {
		j, err := f.startWait(f.cfg, "--lockname", "memory")
		if err != nil {
			return r, err
		}
		if _, err := j.waitReady(10 * time.Second); err != nil {
			return r, err
		}
		time.Sleep(memorySettle)
		st, err := procStatus(j.cmd.Process.Pid, memFields...)
		if err != nil {
			j.kill()
			return r, err
		}
		for _, k := range memFields {
			r[k] = append(r[k], st[k])
		}
		if shim := shimOf(j.cmd.Process.Pid); shim != 0 {
			if st, err := procStatus(shim, "VmRSS", "RssAnon"); err == nil {
				r["ShimRSS"] = append(r["ShimRSS"], st["VmRSS"])
				r["ShimAnon"] = append(r["ShimAnon"], st["RssAnon"])
			}
		}
		if err := f.endRun(j, "memory"); err != nil {
			return r, err
		}
	}
	return r, nil
}

// endRun stops a run by deleting its lock, as an operator would, and waits
// for switchman to exit.
func (f *fixture) endRun(j *waitJob, lockName string) error {
	if err := f.zk.Delete(prefix+"/locks/"+lockName, -1); err != nil {
		j.kill()
		return fmt.Errorf("delete lock %s: %w", lockName, err)
	}
	if _, err := j.waitExit(10 * time.Second); err != nil {
		return err
	}
	return nil
}

// procStatus reads the named kB fields of /proc/PID/status.
func procStatus(pid int, keys ...string) (map[string]float64, error) {
	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !want[k] {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		out[k] = n
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("/proc/%d/status has no %s", pid, k)
		}
	}
	return out, sc.Err()
}

// shimOf returns the pid of switchman's child process when that child is
// switchman's shim (argv[0] "switchman-shim") rather than the job itself,
// else 0. A Go process may start children from any thread, so every
// thread's children list is read.
func shimOf(pid int) int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			argv, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
			if err == nil && bytes.HasPrefix(argv, []byte("switchman-shim\x00")) {
				return child
			}
		}
	}
	return 0
}
