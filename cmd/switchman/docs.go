//go:build gendocs

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/acme/switchman/config"
)

// docsCommandNames names the gen-docs command for commandNames.
var docsCommandNames = []string{"gen-docs"}

// newDocsCmd builds the hidden command that `make deb` runs to generate the
// man pages and shell completions from this very command tree, so that
// they never drift from the flags. It exists only in a binary built with
// -tags gendocs: the man-page generator (cobra/doc and a markdown library)
// would otherwise load with every cron run (see nodocs.go).
func newDocsCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write man pages (DIR/man1, DIR/man5) and shell completions (DIR/completions) for packaging",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return writeDocs(c.Root(), args[0])
		},
	}
}

func writeDocs(root *cobra.Command, dir string) error {
	man1, man5 := filepath.Join(dir, "man1"), filepath.Join(dir, "man5")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man1, man5, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := writeManPages(root, man1); err != nil {
		return err
	}
	if err := writeConfigPage(filepath.Join(man5, "switchman.yaml.5")); err != nil {
		return err
	}
	gens := []struct {
		name string
		gen  func(string) error
	}{
		{"switchman.bash", func(p string) error { return root.GenBashCompletionFileV2(p, true) }},
		{"_switchman", root.GenZshCompletionFile},
		{"switchman.fish", func(p string) error { return root.GenFishCompletionFile(p, true) }},
	}
	for _, g := range gens {
		if err := g.gen(filepath.Join(comp, g.name)); err != nil {
			return fmt.Errorf("completion %s: %w", g.name, err)
		}
	}
	return nil
}

// manHeader is every page's header. The title is left empty so that each
// page is titled with its own command (SWITCHMAN-DOCTOR); the date comes
// from SOURCE_DATE_EPOCH (cobra reads it), for reproducible pages.
func manHeader() *doc.GenManHeader {
	return &doc.GenManHeader{Section: "1", Source: "switchman " + version, Manual: "switchman manual"}
}

// writeManPages writes one page per command into dir, then adds switchman(1)'s
// own sections.
func writeManPages(root *cobra.Command, dir string) error {
	root.DisableAutoGenTag = true // reproducible pages: no generation note
	escapeTags(root)
	if err := doc.GenManTree(root, manHeader(), dir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	page := filepath.Join(dir, "switchman.1")
	b, err := os.ReadFile(page)
	if err != nil {
		return err
	}
	extra := renderSections(rootManSections())
	i := bytes.Index(b, []byte(".SH SEE ALSO"))
	if i < 0 {
		return fmt.Errorf("%s: no SEE ALSO section to put EXIT STATUS before", page)
	}
	out := append(append(append([]byte{}, b[:i]...), extra...), b[i:]...)
	out = bytes.Replace(out, []byte(".SH SEE ALSO\n"), []byte(".SH SEE ALSO\n\\fBswitchman.yaml(5)\\fP, "), 1)
	return os.WriteFile(page, out, 0o644)
}

// escapeTags keeps literal "<tag>" text ("<crontab>") in the pages: the
// generator reads Long as Markdown, which would drop it as inline HTML.
func escapeTags(c *cobra.Command) {
	c.Long = strings.ReplaceAll(c.Long, "<", `\<`)
	for _, sub := range c.Commands() {
		escapeTags(sub)
	}
}

// renderSections turns Markdown sections ("# NAME" ...) into roff, without
// md2man's preamble (which takes a first heading as the page's title).
func renderSections(md string) []byte {
	out := md2man.Render([]byte("# TITLE\n\n" + md))
	if i := bytes.Index(out, []byte(".SH ")); i > 0 {
		out = out[i:]
	}
	return out
}

// rootManSections are switchman(1)'s sections that cobra has no place for.
func rootManSections() string {
	var b strings.Builder
	b.WriteString("# EXIT STATUS\n")
	for _, s := range exitStatuses {
		fmt.Fprintf(&b, "**%s**\n: %s\n\n", s.Status, s.Meaning)
	}
	b.WriteString(`# ENVIRONMENT
**SWITCHMAN_CONFIG**
: the config file, when **--config** is not given.

**DEBUG**
: **1** sends debug output to stderr, as the original tool.

**XDG_CACHE_HOME**
: where the heartbeat stamp and the cached FQDN are kept (default *~/.cache*).

**SWITCHMAN_HELPER_DIR**
: where the helpers switchman-shim and switchman-metrics are looked for after the directory of switchman itself (default */usr/lib/switchman*).

The command gets **SWITCHMAN_HOST**, **SWITCHMAN_GROUP**, **SWITCHMAN_LOCK** (the lock znode), **SWITCHMAN_FENCING_TOKEN** and, with leases, **SWITCHMAN_LEASES**.

# FILES
*/etc/switchman.yaml*
: the config file (see **switchman.yaml(5)**); the package creates it from the example only on a host that has neither it nor */etc/switchman.conf*.

*/etc/switchman.conf*
: the original tool's JSON config, read when */etc/switchman.yaml* does not exist.

*/usr/share/doc/switchman/examples/switchman.yaml*
: the example config.

*/var/log/switchman/USER.log*
: the log of USER's runs (logfile */var/log/switchman/%u.log*); the directory is writable by every user and readable by group adm; rotated by */etc/logrotate.d/switchman*.

*/usr/lib/switchman/*
: the helpers switchman-shim and switchman-metrics.

*~/.cache/switchman/*
: the stamp that spaces this user's heartbeats, and this host's FQDN as last resolved (reused for ten minutes; without **--hostname** or **hostname** in the config, resolving it costs each run more CPU than any other step before ZooKeeper).

`)
	return b.String()
}

// writeConfigPage writes switchman.yaml(5) from config.Keys, the source of
// the README's key table too.
func writeConfigPage(path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%% \"SWITCHMAN.YAML\" \"5\" \"\" \"switchman %s\" \"switchman manual\"\n", version)
	b.WriteString(`# NAME
switchman.yaml \- switchman's config file

# SYNOPSIS
*/etc/switchman.yaml*, */etc/switchman.conf*

# DESCRIPTION
**switchman** reads the file given with **--config**, else the one named by **SWITCHMAN_CONFIG**, else the first of */etc/switchman.yaml* and the original tool's */etc/switchman.conf* that exists; **switchman doctor** says which file is in effect and why. The file is YAML; the original's JSON config loads unchanged. Wrong types, unknown keys and negative durations are errors naming the file, line and key (exit 78). Durations are seconds (**10**, **0.5**) or Go durations (**10s**, **1m30s**).

# KEYS
`)
	for _, k := range config.Keys {
		def := k.Default
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(&b, "**%s** (default: %s)\n: %s\n\n", k.Name, strings.Trim(def, "`"), k.Meaning)
	}
	b.WriteString(`# EXAMPLE
` + "```" + `
zkhosts: zk1.example.com:2181,zk2.example.com:2181,zk3.example.com:2181
prefix: /switchman
logfile: /var/log/switchman/%u.log
` + "```" + `

# SEE ALSO
**switchman(1)**, **switchman-doctor(1)**, */usr/share/doc/switchman/examples/switchman.yaml*
`)
	return os.WriteFile(path, md2man.Render([]byte(b.String())), 0o644)
}
