package lease

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Where the macro values come from. The original used Sys::CPU (the
// processors listed in /proc/cpuinfo, that is the online ones) and
// Linux::MemInfo (MemTotal from /proc/meminfo); reading the same sources
// gives every job on a host, old tool or new, the same TOTAL.
var (
	cpuOnlinePath = "/sys/devices/system/cpu/online"
	meminfoPath   = "/proc/meminfo"
)

// HostMacros returns this host's macro values; fqdn is its identity (the
// --hostname, config hostname or FQDN the run uses). A value that cannot be
// read is zero, which makes an expression using it fail with a clear error
// while specs that do not use it still work.
func HostMacros(fqdn string) Macros {
	return Macros{CPU: onlineCPUs(), MemMB: memTotalMB(), FQDN: fqdn}
}

// onlineCPUs counts the online processors of the machine. It does not use
// runtime.NumCPU, which counts only the CPUs this process may run on: a
// job started under taskset must not see another TOTAL than its
// neighbours.
func onlineCPUs() int64 {
	b, err := os.ReadFile(cpuOnlinePath)
	if err != nil {
		return int64(runtime.NumCPU())
	}
	n, ok := countCPUList(strings.TrimSpace(string(b)))
	if !ok {
		return int64(runtime.NumCPU())
	}
	return n
}

// countCPUList counts the CPUs of a kernel CPU list such as "0-3,6,8-9".
func countCPUList(s string) (int64, bool) {
	var n int64
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 32)
		if err != nil || a < 0 {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 32); err != nil || b < a {
				return 0, false
			}
		}
		n += b - a + 1
	}
	return n, n > 0
}

// memTotalMB returns MemTotal from /proc/meminfo in MiB, or 0.
func memTotalMB() int64 {
	f, err := os.Open(meminfoPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
