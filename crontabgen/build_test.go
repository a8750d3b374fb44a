package crontabgen

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/switchman/cmdline"
	"github.com/acme/switchman/metadata"
)

func allBytes(files []File) []byte {
	var b bytes.Buffer
	for i := range files {
		b.WriteString(files[i].Name + "\n")
		b.Write(files[i].Bytes())
	}
	return b.Bytes()
}

func TestBuildIgnoresInputOrder(t *testing.T) {
	t.Parallel()
	jobs, err := metadata.Scan([]string{filepath.Join("testdata", "cases", "hash-all-keys", "src"), filepath.Join("testdata", "cases", "pod-sharded", "src")})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []Format{FormatCron, FormatSystemd} {
		opts := Options{InstallDir: "/usr/lib/x", Package: "x", Format: format}
		in := jobs
		if format == FormatSystemd {
			in = withoutReboot(jobs) // no timer for hash-all-keys' @reboot block
		}
		files, err := Build(in, opts)
		if err != nil || len(files) == 0 {
			t.Fatalf("%v: %d files, %v", format, len(files), err)
		}
		want := allBytes(files)
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 20; i++ {
			shuffled := append([]metadata.Job(nil), in...)
			rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			files, err := Build(shuffled, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := allBytes(files); !bytes.Equal(got, want) {
				t.Fatalf("%v: shuffle %d changed the output:\n%s\nwant\n%s", format, i, got, want)
			}
		}
	}
}

func withoutReboot(jobs []metadata.Job) []metadata.Job {
	var out []metadata.Job
	for _, j := range jobs {
		if j.Time != "@reboot" {
			out = append(out, j)
		}
	}
	return out
}

func TestGenerateIgnoresFileSystemOrder(t *testing.T) {
	t.Parallel()
	names := []string{"c.sh", "a.sh", "sub/b.sh", "sub/d.sh"}
	var outputs [][]byte
	for n, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		dir := t.TempDir()
		for _, i := range order {
			p := filepath.Join(dir, "src", names[i])
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			body := "# <crontab>\n#  time: @daily\n#  package: p\n#  params: --n " + names[i] + "\n# </crontab>\n"
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Overlapping arguments, in a different order each time.
		args := []string{filepath.Join(dir, "src", "sub"), filepath.Join(dir, "src")}
		if n%2 == 1 {
			args[0], args[1] = args[1], args[0]
		}
		files, err := Generate(args, Options{InstallDir: "/i"})
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, bytes.ReplaceAll(allBytes(files), []byte(dir), []byte("DIR")))
	}
	for i := 1; i < len(outputs); i++ {
		if !bytes.Equal(outputs[i], outputs[0]) {
			t.Fatalf("output %d differs:\n%s\nwant\n%s", i, outputs[i], outputs[0])
		}
	}
}

func TestDeriveLockName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("--account 12345 ", 20)
	tests := []struct {
		name  string
		base  string
		words []string
		want  string
	}{
		{name: "shard", base: "shard.pl", words: []string{"--mod", "2", "--rem", "0"}, want: "shard.pl-mod-2-rem-0"},
		{name: "quoting does not matter", base: "r", words: []string{"--title", "Daily report"}, want: "r-title-Daily-report"},
		{name: "dots and underscores kept", base: "x", words: []string{"--file=a_b.c"}, want: "x-file-a_b.c"},
		{name: "only punctuation", base: "x", words: []string{"%"}, want: "x-" + hashOf([]string{"%"})},
		{name: "long", base: "job.sh", words: strings.Fields(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := DeriveLockName(tt.base, tt.words)
			if tt.want != "" && got != tt.want {
				t.Errorf("DeriveLockName = %q, want %q", got, tt.want)
			}
			if len(got) > MaxDerivedLockName {
				t.Errorf("%q is %d bytes, more than %d", got, len(got), MaxDerivedLockName)
			}
			if err := metadata.CheckLockName(got); err != nil {
				t.Errorf("derived name is invalid: %v", err)
			}
		})
	}
	// Long params that differ only at the end still get distinct names.
	a := DeriveLockName("job.sh", append(strings.Fields(long), "1"))
	b := DeriveLockName("job.sh", append(strings.Fields(long), "2"))
	if a == b || !strings.HasPrefix(a, "job.sh-account-12345-account") {
		t.Errorf("long names %q and %q: want distinct, readable prefixes", a, b)
	}
}

func hashOf(words []string) string {
	return DeriveLockName("", words)[1:]
}

// TestWrapperRefusal checks that a job the wrapper would refuse is an
// error at its block, with the wrapper's own message.
func TestWrapperRefusal(t *testing.T) {
	t.Parallel()
	jobs, err := metadata.Parse("s.sh", []byte("# <crontab>\n#  time: @daily\n#  package: p\n#  lease: db=0:2\n# </crontab>\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(jobs, Options{InstallDir: "/i"})
	if err == nil || err.Error() != "s.sh:1: switchman would refuse this job: lease \"db=0:2\": COUNT is 0, must be at least 1" {
		t.Errorf("Build = %v", err)
	}
}

// TestGeneratedFlagsParse feeds the wrapper's own parser the arguments
// written for a block that uses every key, and checks the options come out
// as the block asked.
func TestGeneratedFlagsParse(t *testing.T) {
	t.Parallel()
	files, err := Generate([]string{"testdata/cases/hash-all-keys/src"}, Options{InstallDir: "/usr/lib/tools"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range files {
		for _, e := range f.Entries {
			if e.LockName != "daily-report" {
				continue
			}
			found = true
			o, err := cmdline.Parse(e.Args, false)
			if err != nil {
				t.Fatalf("%q: %v", e.Args, err)
			}
			if !o.HaltOnFailure || o.ExpectedDuration != 90*time.Minute || o.MinInterval != time.Hour || o.Splay != 45*time.Second || o.CatchUp != 26*time.Hour ||
				o.Timeout != 2*time.Hour || o.Group != "reports" || len(o.Leases) != 2 {
				t.Errorf("parsed %+v from %q", o, e.Args)
			}
			wantLimits := []string{"nice=-5", "ionice=best-effort:6", "rlimit=nofile=1024:4096", "rlimit=core=0:0",
				"memory-max=4294967296", "cpu-max=150%"}
			if got := o.Limits.Flags(); !slices.Equal(got, wantLimits) || !o.LimitsBestEffort {
				t.Errorf("limits %q best effort %v parsed from %q, want %q", got, o.LimitsBestEffort, e.Args, wantLimits)
			}
		}
	}
	if !found {
		t.Fatal("no daily-report job generated")
	}
}

func TestBuildOptionsAndPaths(t *testing.T) {
	t.Parallel()
	jobs, err := metadata.Parse("rel/s.sh", []byte("# <crontab>\n#  time: @daily\n#  package: p\n# </crontab>\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Switchman: "switchman"}, {InstallDir: "usr/lib"}, {Shell: "/bin/sh\n* * * * * root evil"}} {
		if _, err := Build(jobs, o); err == nil {
			t.Errorf("Build with %+v succeeded, want an error", o)
		}
	}
	// Without InstallDir the script runs from its absolute source path.
	files, err := Build(jobs, Options{Switchman: "/opt/bin/switchman", User: "app"})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("rel/s.sh")
	want := "@daily app /opt/bin/switchman --lockname s.sh --schedule @daily -- " + filepath.ToSlash(abs)
	if got := files[0].Entries[0].Line; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

func TestFileNameWithControlCharacter(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bad\nname")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.sh"), []byte("# <crontab>\n#  time: @daily\n#  package: p\n# </crontab>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate([]string{dir}, Options{InstallDir: "/i"})
	if err == nil || !strings.Contains(err.Error(), "the file name contains a control character") {
		t.Fatalf("Generate = %v, want a control character error", err)
	}
}
