// Command switchman runs a cron job only where and when it may: on a host of
// its group, as ZooKeeper says, and under a fleet-wide lock. It stops the job
// the moment that permission is lost.
package main

import (
	"os"
	"runtime"

	"github.com/acme/switchman/supervise"
)

// procs is how many goroutines run Go code at once. switchman waits on
// ZooKeeper, signals and its child and computes next to nothing: a second
// processor buys no speed, only idle threads spinning for work, which a
// herd of cron runs (every job of a host at the same minute) pays for in
// CPU. An operator's GOMAXPROCS wins.
const procs = 1

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(procs)
	}
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
