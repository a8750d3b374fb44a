package cmdline

import (
	"slices"
	"strings"
)

// Commands are the names of switchman's own commands in the installed
// binary. The command tree adds the names only it knows (cobra's hidden
// completion requests, a command of a build tag) when it calls CommandAt.
var Commands = []string{"catch-up", "check", "completion", "crontab", "doctor", "groups", "help", "history", "kill", "notify", "pause", "resume", "serve", "status"}

// CommandAt returns the index in args of the word that names one of
// switchman's own commands (one of names), or -1 when args are a wrapper
// line. A name is the command when only global options stand before it:
// -c FILE, --config FILE or --config=FILE, which every command takes.
// After any other option, or after "--", it names the program to run, as
// under the original: "switchman -g x status" runs a program called
// status, "switchman -c F status" is the status command.
func CommandAt(args, names []string) int {
	for i := 0; i < len(args); {
		switch w := args[i]; {
		case slices.Contains(names, w):
			return i
		case w == "-c" || w == "--config":
			i += 2
		case strings.HasPrefix(w, "--config="):
			i++
		default:
			return -1
		}
	}
	return -1
}
