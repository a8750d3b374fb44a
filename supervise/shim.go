package supervise

import (
	"os"
	"strconv"
	"syscall"

	"github.com/acme/switchman/supervise/shim"
)

// ShimArg, as a program's first argument, makes it run RunShim. A program
// that sets Options.Shim to its own executable must check for it first
// thing in main.
const ShimArg = shim.Arg

// shimDeathSignal is the shim's parent-death signal. It must be catchable,
// unlike the SIGKILL a plain child gets, so that the shim can act on it:
// SIGKILL the whole process group, grandchildren included, which the
// kernel's parent-death signal alone never reaches.
const shimDeathSignal = syscall.SIGTERM

// shimArgv is the argv that starts the shim, with its options (see
// shim.Args), around path and argv.
func shimArgv(options []string, path string, argv []string) []string {
	out := append([]string{"switchman-shim", ShimArg}, options...)
	out = append(out, strconv.Itoa(os.Getpid()), path)
	return append(out, argv...)
}

// RunShim is the whole program of the shim (see package shim, which the
// small switchman-shim binary runs without importing this package): args
// are what follows ShimArg; it returns the exit code.
func RunShim(args []string) int { return shim.Run(args) }
