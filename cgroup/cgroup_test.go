package cgroup

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testWait bounds every wait in these tests.
const testWait = 10 * time.Second

// joinEnv makes the test binary a helper that joins the cgroup named by
// the variable's value and then execs its arguments.
const joinEnv = "CGROUP_TEST_JOIN"

func TestMain(m *testing.M) {
	if dir := os.Getenv(joinEnv); dir != "" {
		if err := Open(dir).Join(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(3)
		}
		err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(4)
	}
	os.Exit(m.Run())
}

func TestParseCgroupFile(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		ok             bool
	}{
		{"unified only", "0::/system.slice/cron.service\n", "/system.slice/cron.service", true},
		{"hybrid", "9:name=systemd:/\n4:memory:/x\n0::/user.slice\n", "/user.slice", true},
		{"root", "0::/\n", "/", true},
		{"v1 only", "4:memory:/x\n1:cpu:/\n", "", false},
		{"outside the namespace", "0::/../../x\n", "", false},
		{"empty", "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseCgroupFile([]byte(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMountedAt(t *testing.T) {
	const info = "24 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n" +
		"33 24 0:28 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n" +
		"34 24 0:29 /a\\040b /mnt/with\\040space rw - cgroup2 cgroup2 rw\n" +
		"35 24 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n" +
		"garbage line\n"
	mounts := parseMountinfo([]byte(info))
	want := []mount{{"/", "/sys/fs/cgroup"}, {"/a b", "/mnt/with space"}}
	if !slices.Equal(mounts, want) {
		t.Fatalf("parseMountinfo = %q, want %q", mounts, want)
	}
	for _, tt := range []struct {
		name      string
		mounts    []mount
		path, dir string
		ok        bool
	}{
		{"root mount", mounts, "/system.slice/cron.service", "/sys/fs/cgroup/system.slice/cron.service", true},
		{"cgroup root", mounts, "/", "/sys/fs/cgroup", true},
		{"sub-tree mount", mounts[1:], "/a b/c", "/mnt/with space/c", true},
		{"sub-tree mount itself", mounts[1:], "/a b", "/mnt/with space", true},
		{"sibling of the sub-tree", mounts[1:], "/a bc", "", false},
		{"nothing mounted", nil, "/x", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, ok := mountedAt(tt.mounts, tt.path)
			if dir != tt.dir || ok != tt.ok {
				t.Errorf("mountedAt(%q) = %q %v, want %q %v", tt.path, dir, ok, tt.dir, tt.ok)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`plain`: "plain", `a\040b`: "a b", `tab\011`: "tab\t", `back\134slash`: `back\slash`,
		`short\04`: `short\04`, `not\09x`: `not\09x`, `\`: `\`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse: the parsers of /proc files never panic, and what they return
// is usable: an absolute path inside the namespace, mounts with the
// fields of the line.
func FuzzParse(f *testing.F) {
	f.Add([]byte("0::/a\n"), []byte("33 24 0:28 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw\n"))
	f.Add([]byte("1:cpu:/\n0::/../x"), []byte("1 2 3 /a\\040 /b\\1 rw - cgroup2 x y\n1 2 3 4 5 6 - cgroup2"))
	f.Fuzz(func(t *testing.T, cgroupFile, mountinfo []byte) {
		path, ok := parseCgroupFile(cgroupFile)
		if ok && (!strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/..") || strings.Contains(path, "\n")) {
			t.Fatalf("path %q", path)
		}
		mounts := parseMountinfo(mountinfo)
		if dir, ok := mountedAt(mounts, path); ok && !strings.HasPrefix(dir, "/") {
			t.Fatalf("dir %q", dir)
		}
	})
}

// newGroup creates a cgroup below this process's own for a test, or
// skips the test, saying why, where this host cannot. Cleanup kills what
// is left in it and removes it.
func newGroup(t *testing.T) *Group {
	t.Helper()
	parent, err := Own()
	if err == nil {
		var g *Group
		if g, err = New(parent); err == nil {
			t.Cleanup(func() {
				_ = g.Kill()
				_ = g.WaitEmpty(testWait)
				if err := g.Remove(); err != nil {
					t.Errorf("remove %s: %v", g.Dir, err)
				}
			})
			return g
		}
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	t.Skipf("this host gives no cgroup: %v", err)
	return nil
}

// startIn starts argv with its process joined to g before the exec.
func startIn(t *testing.T, g *Group, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], argv...)
	cmd.Env = append(os.Environ(), joinEnv+"="+g.Dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// TestKillWholeTree: a process in the group starts a setsid daemon and a
// double-forked one; one Kill takes all of them, Populated turns false,
// the group goes, and its CPU time was counted.
func TestKillWholeTree(t *testing.T) {
	g := newGroup(t)
	dir := t.TempDir()
	script := `setsid sleep 300 & echo $! > ` + dir + `/escapee
( sh -c 'echo $$ > ` + dir + `/daemon; exec sleep 300' & ) 
i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done
echo done > ` + dir + `/ready; exec sleep 300`
	cmd := startIn(t, g, "/bin/sh", "-c", script)
	var pids []int
	deadline := time.Now().Add(testWait)
	for _, name := range []string{"ready", "escapee", "daemon"} {
		for {
			b, err := os.ReadFile(dir + "/" + name)
			if err == nil && strings.HasSuffix(string(b), "\n") {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					pids = append(pids, pid)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s file within %v", name, testWait)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	procs, err := os.ReadFile(g.file("cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range append(pids, cmd.Process.Pid) {
		if !slices.Contains(strings.Fields(string(procs)), strconv.Itoa(pid)) {
			t.Fatalf("pid %d not in %s: %q", pid, g.Dir, procs)
		}
	}
	if populated, err := g.Populated(); err != nil || !populated {
		t.Fatalf("Populated = %v, %v; want true", populated, err)
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitEmpty(testWait); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		// Not our children: gone, or zombies of a parent that died too.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("pid %d alive after the kill: %s", pid, b)
		}
	}
	u, err := g.Usage()
	if err != nil || u.CPU <= 0 {
		t.Errorf("Usage = %+v, %v; want some CPU time", u, err)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there: %v", g.Dir, err)
	}
	if err := g.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

// TestRemoveBusy: a group with a live process stays, and says so.
func TestRemoveBusy(t *testing.T) {
	g := newGroup(t)
	startIn(t, g, "/bin/sleep", "300")
	deadline := time.Now().Add(testWait)
	for populated, _ := g.Populated(); !populated; populated, _ = g.Populated() {
		if time.Now().After(deadline) {
			t.Fatal("the process never joined")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := g.Remove(); !errors.Is(err, ErrPopulated) {
		t.Errorf("Remove of a busy group: %v, want ErrPopulated", err)
	}
	if err := g.WaitEmpty(50 * time.Millisecond); !errors.Is(err, ErrPopulated) {
		t.Errorf("WaitEmpty of a busy group: %v, want ErrPopulated", err)
	}
}

// TestSetNeedsController: a file of a controller the group lacks is not
// written, and the error names what is missing.
func TestSetNeedsController(t *testing.T) {
	g := newGroup(t)
	err := g.Set("nosuch", "nosuch.max", "1")
	if !errors.Is(err, ErrNoController) || !strings.Contains(err.Error(), "no nosuch controller below") {
		t.Fatalf("Set of a missing controller: %v", err)
	}
	have, err := g.Controllers()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(have, "pids") {
		if err := g.Set("pids", "pids.max", "7"); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(g.file("pids.max")); strings.TrimSpace(string(b)) != "7" {
			t.Errorf("pids.max = %q after Set", b)
		}
	}
}

// TestProbe finds the same parent as Own and leaves nothing behind.
func TestProbe(t *testing.T) {
	info, err := Probe()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("this host gives no cgroup: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	parent, _ := Own()
	if info.Parent != parent {
		t.Errorf("Probe parent %q, Own %q", info.Parent, parent)
	}
	left, _ := os.ReadDir(parent)
	for _, e := range left {
		if strings.HasPrefix(e.Name(), namePrefix+strconv.Itoa(os.Getpid())+"-") {
			t.Errorf("Probe left %s behind", e.Name())
		}
	}
}

func TestErrorText(t *testing.T) {
	err := unavailable("cannot create a cgroup below /x", syscall.EACCES, createHint(&os.PathError{Err: syscall.EACCES}))
	want := "cgroup: unavailable: cannot create a cgroup below /x: permission denied " +
		"(switchman is not root and its cgroup is not delegated to its user)"
	if err.Error() != want || !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("got %q", err)
	}
}

// TestNewReclaimsLeftover: an empty cgroup under the name New picks next,
// left by a dead process that had this pid, is taken back instead of
// staying behind; one with a process in it is left alone.
func TestNewReclaimsLeftover(t *testing.T) {
	first := newGroup(t) // skips where the host gives no cgroup
	parent := parentDir(first.Dir)
	prefix := parent + "/" + namePrefix + strconv.Itoa(os.Getpid()) + "-"
	empty := prefix + strconv.FormatInt(seq.Load()+1, 10)
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Rmdir(empty) })
	g, err := New(parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Remove() })
	if g.Dir != empty {
		t.Errorf("New made %s, want the empty leftover %s taken back", g.Dir, empty)
	}

	// A leftover with a process in it keeps its name and its process.
	busy := Open(prefix + strconv.FormatInt(seq.Load()+1, 10))
	if err := os.Mkdir(busy.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = busy.Kill()
		_ = busy.WaitEmpty(testWait)
		_ = busy.Remove()
	})
	startIn(t, busy, "/bin/sleep", "300")
	deadline := time.Now().Add(testWait)
	for populated, _ := busy.Populated(); !populated; populated, _ = busy.Populated() {
		if time.Now().After(deadline) {
			t.Fatal("the process never joined")
		}
		time.Sleep(10 * time.Millisecond)
	}
	g2, err := New(parent)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g2.Remove() })
	if g2.Dir == busy.Dir {
		t.Errorf("New took %s, which holds a process", busy.Dir)
	}
	if populated, _ := busy.Populated(); !populated {
		t.Errorf("the process in %s is gone", busy.Dir)
	}
}
