// Command switchman runs a cron job only where and when it may: on a host of
// its group, as ZooKeeper says, and under a fleet-wide lock. It stops the job
// the moment that permission is lost.
package main

import (
	"os"

	"github.com/acme/switchman/supervise"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == supervise.ShimArg {
		os.Exit(supervise.RunShim(os.Args[2:]))
	}
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
