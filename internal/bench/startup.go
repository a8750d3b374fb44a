package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// startupRounds is how many interleaved rounds the start-up probes run.
const startupRounds = 100

// probe is a program the start-up section times: an empty Go program
// linking one dependency (initprobe built with a tag), or switchman.
type probe struct {
	name string
	tag  string   // initprobe's build tag; "" for argv as given
	argv []string // set after the build
}

// startupSection prices the start of a run: what linking each dependency
// adds to an empty Go program's start (package initialisation, and the
// pages of a larger binary), all of them at once, and switchman's own
// start on top.
func startupSection(f *fixture) section {
	return measured("1e. Start-up: what each dependency adds to the start of an empty Go program (wall, CPU)", "start-up", f.startupRows)
}

func (f *fixture) startupRows() ([]row, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	empty, err := buildGo(ctx, f.dir, "gofloor", goFloorSrc)
	if err != nil {
		return nil, err
	}
	probes := []probe{
		{name: "empty Go program", argv: []string{empty}},
		{name: "crypto/tls (TLS to ZooKeeper)", tag: "probe_tls"},
		{name: "gopkg.in/yaml.v3 (the config file)", tag: "probe_yaml"},
		{name: "zerolog (the log)", tag: "probe_zerolog"},
		{name: "cobra (the command tree)", tag: "probe_cobra"},
		{name: "go-zookeeper/zk", tag: "probe_zk"},
		{name: "all of these and switchman's config, lock, fleet, supervise", tag: "probe_all"},
		{name: "`switchman --version`", argv: []string{f.bin, "--version"}},
	}
	for i := range probes {
		if probes[i].tag == "" {
			continue
		}
		bin, err := buildProbe(ctx, f.dir, probes[i].tag)
		if err != nil {
			return nil, err
		}
		probes[i].argv = []string{bin}
	}
	wall := make([][]time.Duration, len(probes))
	cpu := make([][]time.Duration, len(probes))
	for r := range startupRounds + overheadWarmup {
		for k := range probes {
			i := (k + r) % len(probes) // a different one first each round
			cmd := exec.CommandContext(ctx, probes[i].argv[0], probes[i].argv[1:]...)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%v: %w: %q", probes[i].argv, err, out)
			}
			if r >= overheadWarmup {
				wall[i] = append(wall[i], time.Since(start))
				cpu[i] = append(cpu[i], cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			}
		}
	}
	rows := []row{
		{Name: "empty Go program: wall", Unit: "ms", S: summarize(ms(wall[0]))},
		{Name: "empty Go program: CPU", Unit: "ms", S: summarize(ms(cpu[0]))},
	}
	for i, p := range probes[1:] {
		rows = append(rows,
			row{Name: p.name + " − empty Go program: wall, per round", Unit: "ms", S: summarize(ms(minus(wall[i+1], wall[0])))},
			row{Name: p.name + " − empty Go program: CPU, of the medians", Unit: "ms",
				S: summarize([]float64{summarize(ms(cpu[i+1])).Median - summarize(ms(cpu[0])).Median})})
	}
	return rows, nil
}

// buildProbe builds initprobe with tag.
func buildProbe(ctx context.Context, dir, tag string) (string, error) {
	return buildPackage(ctx, filepath.Join(dir, "initprobe-"+tag), "github.com/acme/switchman/internal/bench/initprobe", "-tags", tag)
}
