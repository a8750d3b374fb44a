// Command debpkg builds switchman's Debian package with nfpm's Go API. `make
// deb` runs it after building the binary and generating the man pages and
// completions (`switchman gen-docs`).
//
// It is a module of its own so that nfpm and its many dependencies stay out
// of switchman's go.mod: nothing of switchman imports it.
package main

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// options are debpkg's flags.
type options struct {
	Binary, Shim, Metrics, Docs, Root, Out string
	Version, Arch                          string
	Maintainer                             string
}

func main() {
	var o options
	flag.StringVar(&o.Binary, "binary", "bin/switchman", "the switchman binary to package")
	flag.StringVar(&o.Shim, "shim", "", "the switchman-shim binary to package (empty: none; switchman then re-executes itself)")
	flag.StringVar(&o.Metrics, "metrics", "", "the switchman-metrics binary to package (empty: none; metrics_textfile_dir then only warns)")
	flag.StringVar(&o.Docs, "docs", "bin/docs", "output of `switchman gen-docs` (man1/, completions/)")
	flag.StringVar(&o.Root, "root", ".", "repository root (README.md, examples/switchman.yaml)")
	flag.StringVar(&o.Out, "out", "bin", "directory for the .deb")
	flag.StringVar(&o.Version, "version", "dev", "version (git describe output; made into a Debian version)")
	flag.StringVar(&o.Arch, "arch", runtime.GOARCH, "Go architecture of the binary")
	flag.StringVar(&o.Maintainer, "maintainer", "Acme Operations <ops@acme.example>", "Maintainer field")
	flag.Parse()
	path, err := build(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "debpkg: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// build writes the package and returns its path.
func build(o options) (string, error) {
	stage, err := os.MkdirTemp("", "debpkg-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	info, err := packageInfo(o, stage)
	if err != nil {
		return "", err
	}
	pkger, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	if err := info.Validate(); err != nil {
		return "", fmt.Errorf("package info: %w", err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(o.Out, pkger.ConventionalFileName(info))
	f, err := os.Create(target)
	if err != nil {
		return "", err
	}
	info.Target = target
	if err := pkger.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return "", fmt.Errorf("package: %w", err)
	}
	return target, f.Close()
}

var releaseVersion = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.+~]*)$`)

// debVersion turns `git describe` output into a Debian version: a release
// tag ("v1.2.0") as is, anything else ("a1b2c3d-dirty", "dev") as a
// pre-release sorting before every release ("0~git.a1b2c3d.dirty").
func debVersion(v string) string {
	if m := releaseVersion.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	clean := regexp.MustCompile(`[^0-9A-Za-z.+~]+`).ReplaceAllString(v, ".")
	return "0~git." + strings.Trim(clean, ".")
}

// mtime is the packaged files' time: SOURCE_DATE_EPOCH when set, for
// reproducible builds, else now.
func mtime() time.Time {
	var sec int64
	if _, err := fmt.Sscan(os.Getenv("SOURCE_DATE_EPOCH"), &sec); err == nil && sec > 0 {
		return time.Unix(sec, 0).UTC()
	}
	return time.Now().UTC().Truncate(time.Second)
}

func packageInfo(o options, stage string) (*nfpm.Info, error) {
	when := mtime()
	version := debVersion(o.Version)
	contents, err := packageContents(o, stage, when)
	if err != nil {
		return nil, err
	}
	changelog := filepath.Join(stage, "changelog.yaml")
	if err := os.WriteFile(changelog, []byte(changelogYAML(version, o.Maintainer, when)), 0o644); err != nil {
		return nil, err
	}
	return &nfpm.Info{
		Name:          "switchman",
		Arch:          o.Arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		// A Debian revision makes it a non-native package, whose changelog
		// is changelog.Debian.gz, the name nfpm writes.
		Release:    "1",
		Section:    "admin",
		Priority:   "optional",
		Maintainer: o.Maintainer,
		Description: "run cron jobs under a fleet-wide ZooKeeper lock\n" +
			"switchman prefixes a crontab line. It runs the command only if this host\n" +
			"belongs to the job's group in ZooKeeper, no other host holds the job's\n" +
			"lock and the leases asked for are free, and it stops the command when\n" +
			"that permission is lost.",
		Homepage:  "https://github.com/acme/switchman",
		License:   "Proprietary",
		Changelog: changelog,
		MTime:     when,
		Overridables: nfpm.Overridables{
			// The binary uses the C library's resolver (cgo), as hostname -f does.
			Depends:    []string{"libc6"},
			Recommends: []string{"cron | cron-daemon"},
			Contents:   contents,
		},
	}, nil
}

// changelogYAML is a one-entry changelog in nfpm's (chglog) format, which
// nfpm turns into /usr/share/doc/switchman/changelog.gz.
func changelogYAML(version, maintainer string, when time.Time) string {
	return fmt.Sprintf(`- semver: %q
  date: %q
  packager: %q
  deb:
    urgency: medium
    distributions: [stable]
  changes:
    - note: "switchman %s; see /usr/share/doc/switchman/README.md.gz"
`, version, when.Format(time.RFC3339), maintainer, version)
}

func file(src, dst string, mode os.FileMode, when time.Time) *files.Content {
	return &files.Content{Source: src, Destination: dst, Type: files.TypeFile,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: when}}
}

func packageContents(o options, stage string, when time.Time) (files.Contents, error) {
	doc := "/usr/share/doc/switchman/"
	readme, err := gzipTo(filepath.Join(o.Root, "README.md"), filepath.Join(stage, "README.md.gz"))
	if err != nil {
		return nil, err
	}
	copyright := filepath.Join(stage, "copyright")
	if err := os.WriteFile(copyright, []byte(copyrightText), 0o644); err != nil {
		return nil, err
	}
	conf := file(filepath.Join(o.Root, "examples", "switchman.yaml"), "/etc/switchman.yaml", 0o644, when)
	conf.Type = files.TypeConfigNoReplace
	c := files.Contents{
		file(o.Binary, "/usr/bin/switchman", 0o755, when),
		conf,
		file(readme, doc+"README.md.gz", 0o644, when),
		file(copyright, doc+"copyright", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "switchman.bash"), "/usr/share/bash-completion/completions/switchman", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "_switchman"), "/usr/share/zsh/vendor-completions/_switchman", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "switchman.fish"), "/usr/share/fish/vendor_completions.d/switchman.fish", 0o644, when),
	}
	if o.Shim != "" {
		c = append(c, file(o.Shim, "/usr/lib/switchman/switchman-shim", 0o755, when))
	}
	if o.Metrics != "" {
		c = append(c, file(o.Metrics, "/usr/lib/switchman/switchman-metrics", 0o755, when))
	}
	pages, err := filepath.Glob(filepath.Join(o.Docs, "man1", "*.1"))
	if err != nil || len(pages) == 0 {
		return nil, errors.Join(err, fmt.Errorf("no man pages in %s (run switchman gen-docs)", filepath.Join(o.Docs, "man1")))
	}
	for _, p := range pages {
		gz, err := gzipTo(p, filepath.Join(stage, filepath.Base(p)+".gz"))
		if err != nil {
			return nil, err
		}
		c = append(c, file(gz, "/usr/share/man/man1/"+filepath.Base(gz), 0o644, when))
	}
	return c, nil
}

// gzipTo compresses src into dst as Debian wants docs and man pages: best
// compression, no file name or time in the header (reproducible, as gzip -9n).
func gzipTo(src, dst string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	f, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return "", err
	}
	if _, err := zw.Write(b); err != nil {
		f.Close()
		return "", err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return "", err
	}
	return dst, f.Close()
}

const copyrightText = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: switchman
Source: https://github.com/acme/switchman

Files: *
Copyright: 2026 Acme
License: Proprietary
 All rights reserved.
`
