//go:build unix

package crontabgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeScripts creates n scripts of about 40 lines under dir, in 100
// directories, each with one METADATA block (every tenth with two shards),
// in the three comment forms.
func writeScripts(tb testing.TB, dir string, n int) {
	tb.Helper()
	body := strings.Repeat("echo working; sleep 0\n", 30)
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%100))
		if i < 100 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		var meta string
		switch {
		case i%10 == 0:
			meta = fmt.Sprintf("# <crontab>\n#   time: */2 * * * *\n#   params: --mod 2 --rem 0\n# </crontab>\n"+
				"# <crontab>\n#   time: */2 * * * *\n#   params: --mod 2 --rem 1\n#   group: g%d\n# </crontab>\n", i%7)
		case i%3 == 0:
			meta = fmt.Sprintf("// <crontab>\n//   time: %d %d * * mon-fri\n//   lease: cpu=1:4\n// </crontab>\n", i%60, i%24)
		default:
			meta = fmt.Sprintf("=head1 METADATA\n\n    <crontab>\n        time: %d * * * *\n        params: --id %d\n    </crontab>\n\n=cut\n", i%60, i)
		}
		name := filepath.Join(sub, fmt.Sprintf("job%05d.sh", i))
		if err := os.WriteFile(name, []byte("#!/bin/sh\n"+meta+body), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
}

// cpuTime is the CPU time (user and system) used by this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGenerate10k is the `make bench` measure in miniature: scan,
// parse and render 10,000 scripts (files in the page cache). It also
// reports CPU time per run, which a busy machine disturbs less than the
// wall clock.
func BenchmarkGenerate10k(b *testing.B) {
	dir := b.TempDir()
	writeScripts(b, dir, 10000)
	opts := Options{Package: "bench", InstallDir: "/usr/lib/bench"}
	b.ResetTimer()
	start := cpuTime()
	defer func() {
		b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}()
	for i := 0; i < b.N; i++ {
		files, err := Generate([]string{dir}, opts)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(files[0].Entries); n != 11000 {
			b.Fatalf("%d entries, want 11000", n)
		}
		_ = files[0].Bytes()
	}
}
