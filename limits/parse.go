package limits

import (
	"math/bits"
	"strconv"
	"strings"
	"syscall"
)

// ParseNice parses a nice value: an integer from -20 to 19, as nice(1)
// takes it.
func ParseNice(s string) (int, error) {
	return parseRange(FlagNice, s, -20, 19)
}

// ParseOOMScoreAdj parses an OOM score adjustment: an integer from -1000
// (never kill) to 1000 (kill first), as /proc/PID/oom_score_adj takes it.
func ParseOOMScoreAdj(s string) (int, error) {
	return parseRange(FlagOOMScoreAdj, s, -1000, 1000)
}

// parseRange parses an integer from lo to hi.
func parseRange(flag, s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, invalid(flag, s, "want an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// IOClass is an I/O scheduling class (ioprio_set(2)).
type IOClass int

// The I/O scheduling classes, numbered as the kernel numbers them.
const (
	// IOClassNone lets the kernel derive the I/O priority from the nice
	// value.
	IOClassNone IOClass = 0
	// IOClassRealtime gets the disk first; it needs CAP_SYS_ADMIN.
	IOClassRealtime IOClass = 1
	// IOClassBestEffort is the default class.
	IOClassBestEffort IOClass = 2
	// IOClassIdle gets the disk only when no one else wants it.
	IOClassIdle IOClass = 3
)

// ioClassNames are the classes as ionice(1) names them.
var ioClassNames = []string{"none", "realtime", "best-effort", "idle"}

// DefaultIOLevel is the level of the realtime and best-effort classes
// when none is given: the middle of 0 (highest) to 7, as ionice(1) has it.
const DefaultIOLevel = 4

// IOnice is an I/O scheduling class and, for the realtime and best-effort
// classes, a level from 0 (highest) to 7.
type IOnice struct {
	Class IOClass
	Level int
}

// String writes io as ParseIOnice reads it: "best-effort:4", "idle".
func (io IOnice) String() string {
	name := ioClassNames[io.Class]
	if io.Class == IOClassRealtime || io.Class == IOClassBestEffort {
		name += ":" + strconv.Itoa(io.Level)
	}
	return name
}

// ParseIOnice parses CLASS[:LEVEL]: CLASS is none, realtime, best-effort
// or idle (or 0 to 3, as ionice -c takes them); LEVEL, 0 to 7, is for
// realtime and best-effort only, and is DefaultIOLevel when left out.
func ParseIOnice(s string) (IOnice, error) {
	name, level, hasLevel := strings.Cut(s, ":")
	class := -1
	for i, n := range ioClassNames {
		if name == n || name == strconv.Itoa(i) {
			class = i
		}
	}
	if class < 0 {
		return IOnice{}, invalid(FlagIOnice, s, "want CLASS[:LEVEL], CLASS one of none, realtime, best-effort, idle")
	}
	io := IOnice{Class: IOClass(class)}
	switch {
	case io.Class != IOClassRealtime && io.Class != IOClassBestEffort:
		if hasLevel {
			return IOnice{}, invalid(FlagIOnice, s, "class "+name+" takes no level")
		}
	case !hasLevel:
		io.Level = DefaultIOLevel
	default:
		n, err := strconv.Atoi(level)
		if err != nil || n < 0 || n > 7 {
			return IOnice{}, invalid(FlagIOnice, s, "want a level from 0 to 7")
		}
		io.Level = n
	}
	return io, nil
}

// resource is one rlimit the flags can set.
type resource struct {
	name  string
	num   int  // RLIMIT_*
	bytes bool // a size, which may carry a K, M, G or T suffix
	unit  string
}

// resources are the rlimits --rlimit sets, in prlimit(1)'s names.
var resources = []resource{
	{"nofile", syscall.RLIMIT_NOFILE, false, "open files"},
	{"nproc", rlimitNproc, false, "processes of the user"},
	{"as", syscall.RLIMIT_AS, true, "bytes of address space"},
	{"data", syscall.RLIMIT_DATA, true, "bytes of data segment"},
	{"fsize", syscall.RLIMIT_FSIZE, true, "bytes per written file"},
	{"core", syscall.RLIMIT_CORE, true, "bytes per core file"},
	{"cpu", syscall.RLIMIT_CPU, false, "seconds of CPU time"},
}

// Rlimit is one resource limit: the soft limit, which the kernel
// enforces, and the hard limit, the ceiling up to which an unprivileged
// process may raise the soft one.
type Rlimit struct {
	// Resource is the limit's name: nofile, nproc, as, data, fsize, core
	// or cpu.
	Resource string
	// Soft and Hard are the limits, Unlimited for none.
	Soft, Hard uint64
}

// String writes r as ParseRlimit reads it: "nofile=1024:4096".
func (r Rlimit) String() string {
	return r.Resource + "=" + formatRlim(r.Soft) + ":" + formatRlim(r.Hard)
}

func formatRlim(v uint64) string {
	if v == Unlimited {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// number returns the resource's RLIMIT_* number.
func (r Rlimit) number() int {
	for _, res := range resources {
		if res.name == r.Resource {
			return res.num
		}
	}
	return -1
}

// ParseRlimit parses NAME=SOFT[:HARD], as prlimit(1) takes it: NAME is
// nofile, nproc, as, data, fsize, core or cpu; a limit is a number or
// "unlimited" ("infinity" and "max" too), and for the sizes (as, data,
// fsize, core) a number of bytes may end in K, M, G or T (powers of
// 1024). SOFT alone sets both limits; the soft one cannot be above the
// hard one.
func ParseRlimit(s string) (Rlimit, error) {
	name, limits, ok := strings.Cut(s, "=")
	i := -1
	for j, res := range resources {
		if res.name == name {
			i = j
		}
	}
	if !ok || i < 0 {
		return Rlimit{}, invalid(FlagRlimit, s, "want NAME=SOFT[:HARD], NAME one of nofile, nproc, as, data, fsize, core, cpu")
	}
	res := resources[i]
	soft, hard, twoLimits := strings.Cut(limits, ":")
	r := Rlimit{Resource: name}
	var err error
	if r.Soft, err = parseLimit(res, s, soft); err != nil {
		return Rlimit{}, err
	}
	r.Hard = r.Soft
	if twoLimits {
		if r.Hard, err = parseLimit(res, s, hard); err != nil {
			return Rlimit{}, err
		}
	}
	if r.Soft > r.Hard {
		return Rlimit{}, invalid(FlagRlimit, s, "the soft limit is above the hard one")
	}
	return r, nil
}

// parseLimit parses one limit of res, as it appears in the flag value s.
func parseLimit(res resource, s, v string) (uint64, error) {
	n, ok := parseAmount(v, res.bytes)
	if !ok {
		want := "want a number of " + res.unit + " or unlimited"
		if res.bytes {
			want = "want a number of " + res.unit + " (K, M, G, T: KiB, MiB, GiB, TiB) or unlimited"
		}
		return 0, invalid(FlagRlimit, s, want)
	}
	return n, nil
}

// ParseMemoryMax parses a memory cap: bytes, with an optional K, M, G or
// T suffix (powers of 1024), more than zero; or "max" ("unlimited",
// "infinity") for none.
func ParseMemoryMax(s string) (uint64, error) {
	n, ok := parseAmount(s, true)
	if !ok || n == 0 {
		return 0, invalid(FlagMemoryMax, s, "want a number of bytes above 0, with an optional K, M, G or T suffix, or max")
	}
	return n, nil
}

// ParseTasksMax parses a cap on the number of processes and threads: an
// integer above zero, or "max" ("unlimited", "infinity") for none.
func ParseTasksMax(s string) (uint64, error) {
	n, ok := parseAmount(s, false)
	if !ok || n == 0 {
		return 0, invalid(FlagTasksMax, s, "want a number of tasks above 0, or max")
	}
	return n, nil
}

// ParseCPUMax parses a CPU cap as a percentage of one CPU, with up to
// three decimals ("50%" is half a CPU, "250%" two and a half), as
// systemd's CPUQuota= takes it; or "max" ("unlimited", "infinity") for
// none. It returns the quota in microseconds per CPUPeriod. The kernel
// wants at least 1 ms per period, so the least is 1%.
func ParseCPUMax(s string) (uint64, error) {
	if isUnlimited(s) {
		return Unlimited, nil
	}
	bad := invalid(FlagCPUMax, s, "want a percentage of one CPU, 1% or more (e.g. 50%, 150%), or max")
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(num, ".")
	if len(frac) > 3 || (frac == "" && strings.HasSuffix(num, ".")) {
		return 0, bad
	}
	// The quota in microseconds is the percentage times 1000: the whole
	// part times 1000 plus the decimals as thousandths.
	w, ok1 := parseDigits(whole)
	f, ok2 := parseDigits(frac + "000"[len(frac):])
	hi, q := bits.Mul64(w, 1000)
	q, carry := bits.Add64(q, f, 0)
	if !ok1 || !ok2 || hi != 0 || carry != 0 || q == Unlimited || q < 1000 {
		return 0, bad
	}
	return q, nil
}

// isUnlimited reports whether s is one of the words for no limit.
func isUnlimited(s string) bool {
	return s == "unlimited" || s == "infinity" || s == "max"
}

// parseAmount parses a limit: a word for none (Unlimited), or decimal
// digits, followed, when bytes is set, by an optional K, M, G or T.
func parseAmount(s string, bytes bool) (uint64, bool) {
	if isUnlimited(s) {
		return Unlimited, true
	}
	shift := 0
	if bytes && s != "" {
		if i := strings.IndexByte("KMGT", s[len(s)-1]); i >= 0 {
			shift = 10 * (i + 1)
			s = s[:len(s)-1]
		}
	}
	n, ok := parseDigits(s)
	if !ok || n > Unlimited>>shift || n<<shift == Unlimited {
		return 0, false // Unlimited itself is spelt in words
	}
	return n << shift, true
}

// parseDigits parses a non-empty run of decimal digits (no sign, no
// spaces, which strconv.ParseUint would also refuse, and no "0x").
func parseDigits(s string) (uint64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}
