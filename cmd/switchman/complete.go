package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// completeRequest answers the shell's completion request (cobra's hidden
// __complete command) for the words after "--" of a run: the command
// (executables on $PATH, or files) and then its arguments (files). cobra
// cannot tell "switchman -- <TAB>" from "switchman <TAB>" (its own flag
// parsing drops the "--") and would offer switchman's subcommands there.
// It reports false when the request is cobra's to answer.
func completeRequest(root *cobra.Command, args []string, stdout io.Writer) bool {
	if len(args) < 2 || args[0] != cobra.ShellCompRequestCmd && args[0] != cobra.ShellCompNoDescRequestCmd {
		return false
	}
	words, toComplete := args[1:len(args)-1], args[len(args)-1]
	dash := slices.Index(words, "--")
	if dash < 0 {
		return false
	}
	// A subcommand before "--" owns what follows.
	if c, _, err := root.Find(words[:dash]); err != nil || c != root {
		return false
	}
	comps, directive := completeCommandWords(words[dash+1:], toComplete)
	for _, c := range comps {
		fmt.Fprintln(stdout, c)
	}
	fmt.Fprintf(stdout, ":%d\n", directive)
	return true
}

// completeCommandWords completes the wrapped command line: the first word
// from the executables on $PATH (a word with a "/" from the files), later
// words from the files.
func completeCommandWords(before []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(before) > 0 || strings.Contains(toComplete, "/") {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return executables(os.Getenv("PATH"), toComplete), cobra.ShellCompDirectiveDefault
}

// completeRunArgs is the root command's ValidArgsFunction: a run's command
// without "--" (switchman -g G cmd <TAB>). The root parses its own flags
// (as the original did), so args still hold them: the command has started
// at the first word that is neither an option nor an option's value.
func completeRunArgs(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.HasPrefix(toComplete, "-") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return completeCommandWords(args[i:], toComplete)
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := c.Flags().Lookup(name)
		if f == nil && len(name) == 1 {
			f = c.Flags().ShorthandLookup(name)
		}
		if f != nil && f.Value.Type() != "bool" && f.NoOptDefVal == "" {
			i++ // the option's value
		}
	}
	return completeCommandWords(nil, toComplete)
}

// executables lists the names in the directories of path that start with
// prefix and that the user may execute, sorted, once each.
func executables(path, prefix string) []string {
	seen := map[string]bool{}
	for _, dir := range filepath.SplitList(path) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if seen[name] || !strings.HasPrefix(name, prefix) {
				continue
			}
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				seen[name] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
