// Command switchman runs a cron job only where and when it may: on a host of
// its group, as ZooKeeper says, and under a fleet-wide lock. It stops the job
// the moment that permission is lost.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }
