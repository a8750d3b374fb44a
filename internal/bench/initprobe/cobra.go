//go:build probe_cobra || probe_all

package main

// cobra: the command tree (help, subcommands).
import _ "github.com/spf13/cobra"
