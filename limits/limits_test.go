package limits

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/acme/switchman/internal/testenv"
)

func ptr[T any](v T) *T { return &v }

func TestSet(t *testing.T) {
	tests := []struct {
		name, flag, value string
		want              Limits // when err is empty
		err               string // a part of the error
	}{
		{"nice", FlagNice, "10", Limits{Nice: ptr(10)}, ""},
		{"nice lowest", FlagNice, "-20", Limits{Nice: ptr(-20)}, ""},
		{"nice out of range", FlagNice, "20", Limits{}, `invalid --nice "20": want an integer from -20 to 19`},
		{"nice not a number", FlagNice, "low", Limits{}, "want an integer"},
		{"nice with a plus", FlagNice, "+5", Limits{Nice: ptr(5)}, ""},
		{"ionice class and level", FlagIOnice, "best-effort:7", Limits{IOnice: &IOnice{IOClassBestEffort, 7}}, ""},
		{"ionice default level", FlagIOnice, "realtime", Limits{IOnice: &IOnice{IOClassRealtime, DefaultIOLevel}}, ""},
		{"ionice by number", FlagIOnice, "2:0", Limits{IOnice: &IOnice{IOClassBestEffort, 0}}, ""},
		{"ionice idle", FlagIOnice, "idle", Limits{IOnice: &IOnice{IOClassIdle, 0}}, ""},
		{"ionice none", FlagIOnice, "none", Limits{IOnice: &IOnice{IOClassNone, 0}}, ""},
		{"ionice idle with a level", FlagIOnice, "idle:3", Limits{}, "class idle takes no level"},
		{"ionice level too high", FlagIOnice, "best-effort:8", Limits{}, "want a level from 0 to 7"},
		{"ionice empty level", FlagIOnice, "best-effort:", Limits{}, "want a level from 0 to 7"},
		{"ionice unknown class", FlagIOnice, "fast", Limits{}, "CLASS one of none, realtime, best-effort, idle"},
		{"oom score adj", FlagOOMScoreAdj, "-1000", Limits{OOMScoreAdj: ptr(-1000)}, ""},
		{"oom score adj out of range", FlagOOMScoreAdj, "1001", Limits{}, "from -1000 to 1000"},
		{"rlimit soft sets both", FlagRlimit, "nofile=1024", Limits{Rlimits: []Rlimit{{"nofile", 1024, 1024}}}, ""},
		{"rlimit soft and hard", FlagRlimit, "nproc=10:20", Limits{Rlimits: []Rlimit{{"nproc", 10, 20}}}, ""},
		{"rlimit unlimited", FlagRlimit, "core=unlimited", Limits{Rlimits: []Rlimit{{"core", Unlimited, Unlimited}}}, ""},
		{"rlimit soft under unlimited", FlagRlimit, "cpu=60:infinity", Limits{Rlimits: []Rlimit{{"cpu", 60, Unlimited}}}, ""},
		{"rlimit size suffix", FlagRlimit, "as=2G", Limits{Rlimits: []Rlimit{{"as", 2 << 30, 2 << 30}}}, ""},
		{"rlimit size suffixes", FlagRlimit, "fsize=1K:1T", Limits{Rlimits: []Rlimit{{"fsize", 1 << 10, 1 << 40}}}, ""},
		{"rlimit suffix on a count", FlagRlimit, "nofile=1K", Limits{}, "want a number of open files or unlimited"},
		{"rlimit soft above hard", FlagRlimit, "nofile=2048:1024", Limits{}, "the soft limit is above the hard one"},
		{"rlimit unknown resource", FlagRlimit, "stack=1M", Limits{}, "NAME one of nofile, nproc, as, data, fsize, core, cpu"},
		{"rlimit without value", FlagRlimit, "nofile", Limits{}, "want NAME=SOFT[:HARD]"},
		{"rlimit negative", FlagRlimit, "nofile=-1", Limits{}, "want a number"},
		{"rlimit overflow", FlagRlimit, "as=18446744073709551615", Limits{}, "want a number"},
		{"rlimit suffix overflow", FlagRlimit, "as=17179869184T", Limits{}, "want a number"},
		{"rlimit three parts", FlagRlimit, "nofile=1:2:3", Limits{}, "want a number"},
		{"memory max", FlagMemoryMax, "512M", Limits{MemoryMax: ptr(uint64(512 << 20))}, ""},
		{"memory max bytes", FlagMemoryMax, "1000000", Limits{MemoryMax: ptr(uint64(1000000))}, ""},
		{"memory max none", FlagMemoryMax, "max", Limits{MemoryMax: ptr(Unlimited)}, ""},
		{"memory max zero", FlagMemoryMax, "0", Limits{}, "above 0"},
		{"memory max lowercase suffix", FlagMemoryMax, "1g", Limits{}, "want a number of bytes"},
		{"cpu max", FlagCPUMax, "50%", Limits{CPUMax: ptr(uint64(50000))}, ""},
		{"cpu max decimals", FlagCPUMax, "12.5%", Limits{CPUMax: ptr(uint64(12500))}, ""},
		{"cpu max several CPUs", FlagCPUMax, "250%", Limits{CPUMax: ptr(uint64(250000))}, ""},
		{"cpu max none", FlagCPUMax, "infinity", Limits{CPUMax: ptr(Unlimited)}, ""},
		{"cpu max below 1%", FlagCPUMax, "0.5%", Limits{}, "1% or more"},
		{"cpu max without percent", FlagCPUMax, "50", Limits{}, "want a percentage"},
		{"cpu max four decimals", FlagCPUMax, "1.2345%", Limits{}, "want a percentage"},
		{"cpu max trailing dot", FlagCPUMax, "5.%", Limits{}, "want a percentage"},
		{"tasks max", FlagTasksMax, "64", Limits{TasksMax: ptr(uint64(64))}, ""},
		{"tasks max zero", FlagTasksMax, "0", Limits{}, "above 0"},
		{"unknown flag", "stack", "1", Limits{}, `invalid "stack": no such limit; want nice, ionice,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Limits
			err := l.Set(tt.flag, tt.value)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Set(%q, %q) = %v, want an ErrInvalid with %q", tt.flag, tt.value, err, tt.err)
				}
				if !reflect.DeepEqual(l, Limits{}) {
					t.Errorf("a refused value was stored: %+v", l)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q, %q): %v", tt.flag, tt.value, err)
			}
			if !reflect.DeepEqual(l, tt.want) {
				t.Errorf("Set(%q, %q) = %+v, want %+v", tt.flag, tt.value, l, tt.want)
			}
		})
	}
}

// TestSetReplaces: a later flag replaces an earlier one; rlimits per
// resource, keeping their order.
func TestSetReplaces(t *testing.T) {
	var l Limits
	for _, kv := range [][2]string{
		{FlagNice, "5"}, {FlagRlimit, "nofile=10"}, {FlagRlimit, "core=0"},
		{FlagNice, "7"}, {FlagRlimit, "nofile=20:30"},
	} {
		if err := l.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	want := Limits{Nice: ptr(7), Rlimits: []Rlimit{{"nofile", 20, 30}, {"core", 0, 0}}}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("got %+v, want %+v", l, want)
	}
}

func TestFlags(t *testing.T) {
	var l Limits
	for _, w := range []string{"tasks-max=max", "rlimit=as=1K", "cpu-max=12.005%", "nice=-3",
		"ionice=idle", "oom-score-adj=500", "rlimit=nofile=1:unlimited", "memory-max=1G"} {
		if err := l.SetFlag(w); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"nice=-3", "ionice=idle", "oom-score-adj=500", "rlimit=as=1024:1024",
		"rlimit=nofile=1:unlimited", "memory-max=1073741824", "cpu-max=12.005%", "tasks-max=max"}
	if got := l.Flags(); !slices.Equal(got, want) {
		t.Errorf("Flags() = %q, want %q", got, want)
	}
	if err := l.SetFlag("nice"); err == nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("SetFlag without '=': %v", err)
	}
	if !l.Process() || !l.Cgroup() {
		t.Errorf("Process %v, Cgroup %v, want both", l.Process(), l.Cgroup())
	}
	if (Limits{}).Process() || (Limits{}).Cgroup() {
		t.Error("the zero Limits limits something")
	}
}

func TestCgroupFiles(t *testing.T) {
	var l Limits
	for _, w := range []string{"memory-max=512M", "cpu-max=150%", "tasks-max=32", "nice=1"} {
		if err := l.SetFlag(w); err != nil {
			t.Fatal(err)
		}
	}
	want := []CgroupFile{
		{FlagMemoryMax, "memory", "memory.max", "536870912"},
		{FlagCPUMax, "cpu", "cpu.max", "150000 100000"},
		{FlagTasksMax, "pids", "pids.max", "32"},
	}
	if got := l.CgroupFiles(); !slices.Equal(got, want) {
		t.Errorf("CgroupFiles() = %+v, want %+v", got, want)
	}
	l = Limits{CPUMax: ptr(Unlimited)}
	if got := l.CgroupFiles(); len(got) != 1 || got[0].Value != "max 100000" {
		t.Errorf("cpu-max=max gives %+v", got)
	}
}

// FuzzSet: whatever Set accepts, Flags writes back so that Set rebuilds
// the same Limits; whatever it refuses is one line wrapping ErrInvalid.
func FuzzSet(f *testing.F) {
	seeds := []string{"nice=19", "ionice=realtime:0", "oom-score-adj=-5", "rlimit=nofile=1024:4096",
		"rlimit=as=1G:unlimited", "memory-max=10M", "cpu-max=0.5%", "cpu-max=99.999%", "tasks-max=max", "rlimit=cpu"}
	set := func(word string) (Limits, error) {
		var l Limits
		err := l.SetFlag(word)
		return l, err
	}
	testenv.FuzzParser(f, seeds, set, ErrInvalid, func(t *testing.T, word string, l Limits) {
		var again Limits
		for _, w := range l.Flags() {
			if err := again.SetFlag(w); err != nil {
				t.Fatalf("SetFlag(%q) of Flags() of %q: %v", w, word, err)
			}
		}
		if !reflect.DeepEqual(l, again) {
			t.Fatalf("%q: %+v, after Flags %q: %+v", word, l, l.Flags(), again)
		}
		for _, r := range l.Rlimits {
			if r.Soft > r.Hard || r.number() < 0 {
				t.Fatalf("%q: bad rlimit %+v", word, r)
			}
		}
	})
}

// TestApplyRefused: a limit the kernel refuses (RLIMIT_NOFILE above
// fs.nr_open, which even root cannot pass) is ErrRefused with the errno,
// naming the flag; the process's limit stays as it was.
func TestApplyRefused(t *testing.T) {
	var before, after syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	err := Limits{Rlimits: []Rlimit{{"nofile", Unlimited, Unlimited}}}.Apply()
	want := "limits: kernel refused --rlimit nofile=unlimited:unlimited: operation not permitted"
	if !errors.Is(err, ErrRefused) || !errors.Is(err, syscall.EPERM) || err.Error() != want {
		t.Errorf("Apply = %v, want %q", err, want)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); err != nil || after != before {
		t.Errorf("RLIMIT_NOFILE went from %+v to %+v", before, after)
	}
}
