package cgroup

import (
	"os"
	"strings"
)

// Own returns the directory of this process's cgroup in the unified (v2)
// hierarchy, such as /sys/fs/cgroup/system.slice/cron.service, from
// /proc/self/cgroup and /proc/self/mountinfo. Its error wraps
// ErrUnavailable when the process is in no v2 cgroup or the hierarchy is
// not mounted where it can see it.
func Own() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", unavailable("cannot read this process's cgroup", pathErrno(err), "")
	}
	path, ok := parseCgroupFile(b)
	if !ok {
		return "", unavailable("this process is in no cgroup v2 (unified) hierarchy", nil,
			"the kernel or the init system mounts only cgroup v1")
	}
	b, err = os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", unavailable("cannot read the mount table", pathErrno(err), "")
	}
	dir, ok := mountedAt(parseMountinfo(b), path)
	if !ok {
		return "", unavailable("no cgroup2 file system is mounted that shows "+path, nil, "")
	}
	return dir, nil
}

// Info is what Probe found.
type Info struct {
	// Parent is the directory below which a job's cgroup goes: this
	// process's own cgroup.
	Parent string
	// Controllers are those a job's cgroup gets (the parent's
	// cgroup.subtree_control): "memory", "cpu" and "pids" are what the
	// memory, CPU and task caps need.
	Controllers []string
}

// Probe finds whether this process can give a job a cgroup of its own, by
// creating one and removing it, and which controllers that cgroup gets;
// switchman doctor shows it. Its error wraps ErrUnavailable and says why
// not.
func Probe() (Info, error) {
	parent, err := Own()
	if err != nil {
		return Info{}, err
	}
	g, err := New(parent)
	if err != nil {
		return Info{}, err
	}
	info := Info{Parent: parent}
	info.Controllers, err = g.Controllers()
	if rerr := g.Remove(); err == nil {
		err = rerr
	}
	return info, err
}

// parseCgroupFile returns the path of the unified-hierarchy line ("0::PATH")
// of a /proc/PID/cgroup file. A path that leaves the cgroup namespace
// ("/.." when the process is outside the namespace's root) does not count.
func parseCgroupFile(b []byte) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		path, ok := strings.CutPrefix(line, "0::")
		if ok && strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "/..") {
			return path, true
		}
	}
	return "", false
}

// mount is one cgroup2 line of /proc/PID/mountinfo.
type mount struct {
	root  string // the path in the hierarchy that is mounted
	point string // where it is mounted
}

// parseMountinfo returns the cgroup2 mounts of a /proc/PID/mountinfo file:
// "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER".
func parseMountinfo(b []byte) []mount {
	var out []mount
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				if f[i+1] == "cgroup2" {
					out = append(out, mount{root: unescape(f[3]), point: unescape(f[4])})
				}
				break
			}
		}
	}
	return out
}

// mountedAt returns the directory where the cgroup path shows in one of
// the mounts: the first whose root contains path.
func mountedAt(mounts []mount, path string) (string, bool) {
	for _, m := range mounts {
		rel, ok := within(m.root, path)
		if ok && strings.HasPrefix(m.point, "/") {
			return strings.TrimSuffix(m.point, "/") + rel, true
		}
	}
	return "", false
}

// within returns path relative to root, if path is root or below it.
func within(root, path string) (string, bool) {
	switch {
	case root == path:
		return "", true
	case root == "/":
		return path, true
	}
	rest, ok := strings.CutPrefix(path, root)
	if !ok || !strings.HasPrefix(rest, "/") {
		return "", false
	}
	return rest, true
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and
// backslash ("\040").
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
