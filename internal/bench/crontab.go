package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/switchman/crontabgen"
)

// crontabResult holds the times to scan, parse and render a tree of
// scripts into cron.d text, with what came out.
type crontabResult struct {
	Times   []time.Duration
	Scripts int
	Entries int
	Bytes   int
}

// crontabRuns is how many times the whole tree is generated; the first
// run also warms the page cache and is not recorded.
const crontabRuns = 6

// measureCrontab writes n scripts with METADATA blocks under dir and times
// crontabgen.Generate plus rendering, which is `switchman crontab
// generate` short of writing the file.
func measureCrontab(dir string, n int) (crontabResult, error) {
	r := crontabResult{Scripts: n}
	root := filepath.Join(dir, "scripts")
	wantEntries, err := writeScripts(root, n)
	if err != nil {
		return r, err
	}
	opts := crontabgen.Options{Package: "bench", InstallDir: "/usr/lib/bench"}
	for i := range crontabRuns {
		start := time.Now()
		files, err := crontabgen.Generate([]string{root}, opts)
		if err != nil {
			return r, fmt.Errorf("generate: %.500v", err)
		}
		size := 0
		entries := 0
		for k := range files {
			size += len(files[k].Bytes())
			entries += len(files[k].Entries)
		}
		d := time.Since(start)
		if entries != wantEntries {
			return r, fmt.Errorf("generated %d cron lines from %d scripts, want %d", entries, n, wantEntries)
		}
		r.Entries, r.Bytes = entries, size
		if i > 0 {
			r.Times = append(r.Times, d)
		}
	}
	return r, nil
}

// writeScripts writes n shell scripts of some 30 lines in 100 directories,
// in the three METADATA forms, and returns how many cron lines they
// describe: one per block, and every tenth script is sharded in two.
func writeScripts(root string, n int) (int, error) {
	body := strings.Repeat(": doing the work\n", 25)
	entries := 0
	for i := range n {
		d := filepath.Join(root, fmt.Sprintf("team%02d", i%100))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
		meta, blocks := metadataFor(i)
		entries += blocks
		p := filepath.Join(d, fmt.Sprintf("task-%05d.sh", i))
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+meta+body), 0o755); err != nil {
			return 0, err
		}
	}
	return entries, nil
}

// metadataFor returns script i's METADATA and its number of blocks.
func metadataFor(i int) (string, int) {
	switch {
	case i%10 == 0:
		var b strings.Builder
		for shard := range 2 {
			fmt.Fprintf(&b, "# <crontab>\n#   time: */5 * * * *\n#   group: workers%d\n#   params: --shard %d --of 2\n# </crontab>\n", i%4, shard)
		}
		return b.String(), 2
	case i%3 == 0:
		return fmt.Sprintf(": <<'=cut'\n=head1 METADATA\n\n    <crontab>\n        time: %d %d * * *\n        lease: db=1:3\n"+
			"        timeout: 1h\n    </crontab>\n\n=cut\n", i%60, i%24), 1
	}
	return fmt.Sprintf("# <crontab>\n#   time: %d * * * mon-fri\n#   group: g%d\n#   mailto: team%d@example.com\n# </crontab>\n",
		i%60, i%7, i%5), 1
}
