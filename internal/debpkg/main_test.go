package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestDebVersion(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"release tag", "v1.2.0-0-gabc1234", "1.2.0"},
		{"short release tag", "v1.2.0", "1.2.0"},
		{"bare release", "0.0.0+debtest", "0.0.0+debtest"},
		{"commits after a tag", "v1.2.0-3-gabc1234", "1.2.0+git3.gabc1234"},
		{"dirty snapshot", "v1.2.0-3-gabc1234-dirty", "1.2.0+git3.gabc1234.dirty"},
		{"dirty release", "v1.2.0-0-gabc1234-dirty", "1.2.0+git0.gabc1234.dirty"},
		{"no tag yet", "v0.0.0-512-g0a1b2c3", "0.0.0+git512.g0a1b2c3"},
		{"bare hash", "a1b2c3d", "0~git.a1b2c3d"},
		{"dev", "dev", "0~git.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := debVersion(tt.in); got != tt.want {
				t.Errorf("debVersion(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDebVersionOrder checks with dpkg itself that versions grow with every
// commit, whatever the hashes: release < its snapshots (by count, not by
// hash) < their dirty builds < the next release.
func TestDebVersionOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed")
	}
	order := []string{"a1b2c3d", "v0.0.0-2-gfff0000", "v0.0.0-10-g0000000", "v1.2.0-0-gabc1234",
		"v1.2.0-3-gffffff1", "v1.2.0-3-gffffff1-dirty", "v1.2.0-4-g0000001", "v1.2.0-12-g1000000", "v1.2.1-0-g0000002"}
	for i := 1; i < len(order); i++ {
		a, b := debVersion(order[i-1]), debVersion(order[i])
		if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("dpkg says %s (%s) is not below %s (%s)", a, order[i-1], b, order[i])
		}
	}
}

func TestVersionLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "2.2.5", true}, {"2.2.5", "", false}, {"2.4", "2.34", true}, {"2.34", "2.4", false},
		{"2.3", "2.3.4", true}, {"2.34", "2.34", false},
	}
	for _, tt := range tests {
		if got := versionLess(tt.a, tt.b); got != tt.want {
			t.Errorf("versionLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestLibcDepends builds a cgo binary and a static one and checks the
// computed dependency: versioned for the first, none for the second.
func TestLibcDepends(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	src := dir + "/main.go"
	if err := os.WriteFile(src, []byte("package main\nimport \"os/user\"\nfunc main() { user.Current() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(out, cgo string) string {
		c := exec.Command("go", "build", "-o", dir+"/"+out, src)
		c.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOFLAGS=-buildvcs=false")
		if b, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, b)
		}
		return dir + "/" + out
	}
	static := build("static", "0")
	if got, err := libcDepends(static, ""); err != nil || got != nil {
		t.Errorf("static binary: %v, %v; want no Depends", got, err)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler: cgo binary not built")
	}
	got, err := libcDepends(static, build("cgo", "1"))
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "libc6 (>= 2.") {
		t.Errorf("cgo binary: %v, %v; want libc6 (>= 2.N)", got, err)
	}
}
