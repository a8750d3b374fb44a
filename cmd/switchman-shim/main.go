// Command switchman-shim is the small process switchman puts between
// itself and the job: it leads the job's process group and, should
// switchman be SIGKILLed, kills the whole group. It is a separate, small
// binary, importing package shim alone, so that starting it costs little;
// without it installed, switchman re-executes itself as the shim.
package main

import (
	"os"

	"github.com/acme/switchman/exitcode"
	"github.com/acme/switchman/supervise/shim"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != shim.Arg {
		_, _ = os.Stderr.WriteString("switchman-shim: started by switchman only\n")
		os.Exit(exitcode.Software)
	}
	os.Exit(shim.Run(os.Args[2:]))
}
