// Command switchman-shim is the small process switchman puts between
// itself and the job: it leads the job's process group and, should
// switchman be SIGKILLed, kills the whole group. It is a separate, small
// binary so that starting it costs little; without it installed, switchman
// re-executes itself as the shim. See supervise.RunShim.
package main

import (
	"fmt"
	"os"

	"github.com/acme/switchman/supervise"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != supervise.ShimArg {
		fmt.Fprintln(os.Stderr, "switchman-shim: started by switchman only")
		os.Exit(70)
	}
	os.Exit(supervise.RunShim(os.Args[2:]))
}
