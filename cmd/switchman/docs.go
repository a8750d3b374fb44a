//go:build gendocs

package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newDocsCmd builds the hidden command that `make deb` runs to generate the
// man pages and shell completions from this very command tree, so that
// they never drift from the flags. It exists only in a binary built with
// -tags gendocs: the man-page generator (cobra/doc and a markdown library)
// would otherwise load with every cron run (see nodocs.go).
func newDocsCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write man pages (DIR/man1) and shell completions (DIR/completions) for packaging",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return writeDocs(c.Root(), args[0])
		},
	}
}

func writeDocs(root *cobra.Command, dir string) error {
	man := filepath.Join(dir, "man1")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	root.DisableAutoGenTag = true // reproducible pages: no generation date
	hdr := &doc.GenManHeader{Title: "SWITCHMAN", Section: "1", Source: "switchman " + version, Manual: "switchman manual"}
	if err := doc.GenManTree(root, hdr, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
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
