//go:build !gendocs

package main

import "github.com/spf13/cobra"

// newDocsCmd returns nil: the gen-docs command is built only with
// -tags gendocs (see docs.go), which `make deb` uses to write the man pages
// and completions. The installed binary does without it, and without the
// man-page generator's package initialisation on every run.
func newDocsCmd() *cobra.Command { return nil }

// docsCommandNames is empty: there is no gen-docs command to name.
var docsCommandNames []string
