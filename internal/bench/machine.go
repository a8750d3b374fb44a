package main

import (
	"bufio"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/acme/switchman/internal/zktest"
)

// machine describes where the numbers were measured.
type machine struct {
	Date, CPUs, CPUModel, Memory, Kernel string
	GoVersion, ZooKeeper, Switchman      string
	LoadBefore, LoadAfter                string
}

// describeMachine gathers the machine's description; an unreadable item
// is reported as such rather than failing the bench.
func describeMachine(bin, zkAddr string) machine {
	m := machine{
		Date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		CPUs:       fmt.Sprint(runtime.NumCPU()),
		CPUModel:   firstField("/proc/cpuinfo", "model name"),
		Memory:     memTotal(),
		Kernel:     readTrim("/proc/sys/kernel/osrelease"),
		LoadBefore: loadavg(),
	}
	m.GoVersion = runtime.Version()
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		m.GoVersion = bi.GoVersion
	}
	m.ZooKeeper = "unknown"
	if out, err := zktest.FourLetter(zkAddr, "srvr", 5*time.Second); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, "Zookeeper version: "); ok {
				m.ZooKeeper = strings.TrimSpace(v)
			}
		}
	}
	m.Switchman = "unknown"
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		m.Switchman = strings.TrimSpace(string(out))
	}
	if st, err := os.Stat(bin); err == nil {
		m.Switchman += fmt.Sprintf(" (%.1f MB binary)", float64(st.Size())/1e6)
	}
	return m
}

// firstField returns the value of the first "key: value" line of a /proc
// file.
func firstField(path, key string) string {
	fh, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// loadavg returns the 1, 5 and 15 minute load averages: the machine is
// shared, and a loaded one explains a slow run.
func loadavg() string {
	f := strings.Fields(readTrim("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// memTotal returns MemTotal from /proc/meminfo in GiB.
func memTotal() string {
	v := strings.TrimSuffix(firstField("/proc/meminfo", "MemTotal"), " kB")
	kb, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", kb/(1<<20))
}

// loaded reports whether a load average string's 1-minute value exceeds
// the number of CPUs: other work then competed with the measurement.
func loaded(load string) (float64, bool) {
	f := strings.Fields(load)
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil && v > float64(runtime.NumCPU())
}
