package main

import (
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the simulation ran; the machine is shared, so
// its load goes into the report with the numbers.
type machine struct {
	Date       string
	CPUs       int
	CPUModel   string
	Kernel     string
	GoVersion  string
	LoadBefore string
	LoadAfter  string
}

// describeMachine reads the machine's description and its load now.
func describeMachine() machine {
	return machine{
		Date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		CPUs:       runtime.NumCPU(),
		CPUModel:   cpuModel(),
		Kernel:     strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		GoVersion:  runtime.Version(),
		LoadBefore: loadavg(),
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	for line := range strings.SplitSeq(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadavg returns the 1, 5 and 15 minute load averages.
func loadavg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// readFile returns a file's text, or "" when it cannot be read.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
