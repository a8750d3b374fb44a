package lease

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		want  []Lease
	}{
		{"plain", []string{"db=1:3"}, []Lease{{"db", 1, 3, "db=1:3"}}},
		{"count equals total", []string{"db=3:3"}, []Lease{{"db", 3, 3, "db=3:3"}}},
		{"host macros", []string{"cpu-FQDN=1:CPU", "mem=4:int(MEMMB/1024)"},
			[]Lease{{"cpu-h1.example.com", 1, 8, "cpu-FQDN=1:CPU"}, {"mem", 4, 15, "mem=4:int(MEMMB/1024)"}}},
		{"macros anywhere in the name", []string{"xCPUx-MEMMB=1:1"}, []Lease{{"x8x-16000", 1, 1, "xCPUx-MEMMB=1:1"}}},
		{"first equals and colon split", []string{"a=b=1:2"}, nil},
		{"two resources", []string{"a=1:2", "b=2:2"}, []Lease{{"a", 1, 2, "a=1:2"}, {"b", 2, 2, "b=2:2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(tt.specs, testMacros)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Resolve(%q) = %v, want an error", tt.specs, got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Resolve(%q) = %v, %v; want %v", tt.specs, got, err, tt.want)
			}
		})
	}
}

// TestSpecErrors checks the bad specs and others: each is a
// *SpecError matching ErrSpec, one line naming the spec and the problem.
func TestSpecErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		want  string
	}{
		{"zero count", []string{"db=0:3"}, `lease "db=0:3": COUNT is 0, must be at least 1`},
		{"count over total", []string{"db=4:3"}, `lease "db=4:3": COUNT 4 exceeds TOTAL 3`},
		{"letters", []string{"db=a:b"}, `lease "db=a:b": COUNT "a": unknown name "a" at column 1`},
		{"no total", []string{"db=1"}, `lease "db=1": want RESOURCE=COUNT:TOTAL, e.g. db=1:4`},
		{"no equals", []string{"db"}, "want RESOURCE=COUNT:TOTAL"},
		{"empty resource", []string{"=1:3"}, "RESOURCE is empty"},
		{"empty count", []string{"db=:3"}, "COUNT is empty"},
		{"empty total", []string{"db=1:"}, "TOTAL is empty"},
		{"second colon", []string{"db=1:3:4"}, `TOTAL "3:4": unexpected character ':' at column 2`},
		{"negative", []string{"db=-1:3"}, "COUNT is -1, must be at least 1"},
		{"fraction", []string{"db=1:7/2"}, `TOTAL "7/2": value 3.5 is not a whole number`},
		{"forbidden token", []string{"db=1:system(1)"}, `TOTAL "system(1)": unknown name "system"`},
		{"fqdn as a number", []string{"db=1:FQDN"}, "FQDN at column 1 is a host name"},
		{"huge total", []string{"db=1:2000000000000"}, "TOTAL is 2000000000000, must be at most 1099511627776"},
		{"slash in resource", []string{"a/b=1:2"}, `RESOURCE: name "a/b" contains "/"`},
		{"reserved resource", []string{".lock-x=1:2"}, `RESOURCE ".lock-x": names starting with "." are reserved`},
		{"duplicate", []string{"db=1:3", "db=2:3"}, `lease "db=2:3": resource "db" is already leased by "db=1:3"`},
		{"duplicate after expansion", []string{"cpu-FQDN=1:2", "cpu-h1.example.com=1:2"}, `resource "cpu-h1.example.com" is already leased by "cpu-FQDN=1:2"`},
		{"total from macro too small", []string{"db=1:CPU-8"}, "COUNT 1 exceeds TOTAL 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Resolve(tt.specs, testMacros)
			var se *SpecError
			if !errors.Is(err, ErrSpec) || !errors.As(err, &se) {
				t.Fatalf("Resolve(%q) = %v; want a *SpecError", tt.specs, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Fatalf("Resolve(%q) = %q; want one line containing %q", tt.specs, msg, tt.want)
			}
		})
	}
}

// TestCheck validates what can be known on any host, and leaves
// host-dependent values to the run.
func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		want  string
	}{
		{"valid", []string{"db=1:3", "cpu-FQDN=1:CPU"}, ""},
		{"host-dependent total left to the run", []string{"db=1:CPU-64"}, ""},
		{"host-dependent name left to the run", []string{"cpu-FQDN=1:2", "cpu-h1=1:2"}, ""},
		{"constant out of range", []string{"db=4:3"}, "COUNT 4 exceeds TOTAL 3"},
		{"syntax checked even with macros", []string{"db=1:CPU+"}, "expression ends early"},
		{"constant duplicate", []string{"db=1:3", "db=1:3"}, "already leased"},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.specs)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Check(%q) = %v; want %q", tt.specs, err, tt.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	leases, err := Resolve([]string{"mem=1:4", "cpu-FQDN=1:2", "db=1:3"}, testMacros)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Order(leases, []string{"db", "other", "cpu-FQDN", "mem"}, testMacros)
	if err != nil {
		t.Fatal(err)
	}
	if env := Env(got); env != "db=1:3,cpu-h1.example.com=1:2,mem=1:4" {
		t.Fatalf("order = %s; want the order of the resources list, whatever the flags' order", env)
	}

	_, err = Order(leases, []string{"db", "mem"}, testMacros)
	if !errors.Is(err, ErrUnknownResource) || errors.Is(err, ErrSpec) ||
		!strings.Contains(err.Error(), `unknown resource "cpu-h1.example.com" in lease "cpu-FQDN=1:2": not in the "resources" list (listed: db, mem)`) {
		t.Fatalf("unknown resource: %v", err)
	}
	_, err = Order(leases[:1], nil, testMacros)
	if !errors.Is(err, ErrUnknownResource) || !strings.Contains(err.Error(), "which is empty") {
		t.Fatalf("empty list: %v", err)
	}
}

func TestCountCPUList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 1, true},
		{"0-3", 4, true},
		{"0-3,6,8-9", 7, true},
		{"", 0, false},
		{"3-1", 0, false},
		{"a", 0, false},
	}
	for _, tt := range tests {
		if got, ok := countCPUList(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("countCPUList(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestHostMacros reads fake /sys and /proc files, and this host's real
// ones.
func TestHostMacros(t *testing.T) {
	dir := t.TempDir()
	cpus, mem := filepath.Join(dir, "online"), filepath.Join(dir, "meminfo")
	if err := os.WriteFile(cpus, []byte("0-5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mem, []byte("MemFree: 1 kB\nMemTotal:       16384000 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oldCPU, oldMem := cpuOnlinePath, meminfoPath
	t.Cleanup(func() { cpuOnlinePath, meminfoPath = oldCPU, oldMem })

	cpuOnlinePath, meminfoPath = cpus, mem
	if got := HostMacros("h"); got != (Macros{CPU: 6, MemMB: 16000, FQDN: "h"}) {
		t.Fatalf("HostMacros = %+v", got)
	}
	cpuOnlinePath, meminfoPath = filepath.Join(dir, "missing"), filepath.Join(dir, "missing")
	if got := HostMacros("h"); got.CPU < 1 || got.MemMB != 0 {
		t.Fatalf("HostMacros without the files = %+v; want the runtime's CPU count and unknown memory", got)
	}
	cpuOnlinePath, meminfoPath = oldCPU, oldMem
	if got := HostMacros("h"); got.CPU < 1 || got.MemMB < 1 {
		t.Fatalf("HostMacros on this host = %+v", got)
	}
}
