package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// startupRounds is how many interleaved rounds the start-up probes run.
const startupRounds = 100

// probe is a program the start-up section times: an empty Go program
// linking some dependencies (initprobe built with a tag), or switchman.
type probe struct {
	name string
	argv []string
}

// probeList names initprobe's build tags, one a line, each with what it
// links.
const probeList = `
probe_tls crypto/tls (TLS to ZooKeeper)
probe_yaml gopkg.in/yaml.v3 (the config file)
probe_zerolog zerolog (the log)
probe_cobra cobra (the command tree)
probe_zk go-zookeeper/zk
probe_all all of these and switchman's config, lock, fleet, supervise
`

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
	empty, err := f.goProgram(ctx, "gofloor", goFloorSrc)
	if err != nil {
		return nil, err
	}
	probes := []probe{{name: "empty Go program", argv: []string{empty}}}
	for _, line := range strings.Split(strings.TrimSpace(probeList), "\n") {
		tag, name, _ := strings.Cut(line, " ")
		bin, err := buildProbe(ctx, f.dir, tag)
		if err != nil {
			return nil, err
		}
		probes = append(probes, probe{name: name, argv: []string{bin}})
	}
	probes = append(probes, probe{name: "`switchman --version`", argv: []string{f.bin, "--version"}})
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
