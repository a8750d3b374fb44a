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
	Binary, Shim, Metrics, Serve, Docs, Root, Out string
	Version, Arch                                 string
	Maintainer                                    string
}

func main() {
	var o options
	flag.StringVar(&o.Binary, "binary", "bin/switchman", "the switchman binary to package")
	flag.StringVar(&o.Shim, "shim", "", "the switchman-shim binary to package (empty: none; switchman then re-executes itself)")
	flag.StringVar(&o.Metrics, "metrics", "", "the switchman-metrics binary to package (empty: none; metrics_textfile_dir then only warns)")
	flag.StringVar(&o.Serve, "serve", "", "the switchman-serve binary to package (empty: none; switchman serve then says it is missing)")
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

var describeRe = regexp.MustCompile(`^v?([0-9][0-9A-Za-z.+~]*?)(?:-([0-9]+)-g([0-9a-f]+))?(-dirty)?$`)

// debVersion turns `git describe --tags --long --dirty` output into a
// Debian version that grows with every commit: a tagged commit
// ("v1.2.0-0-gabc1234") is the release "1.2.0"; N commits after it
// ("v1.2.0-3-gabc1234") is "1.2.0+git3.gabc1234", above 1.2.0 and below
// any later release, and above every earlier snapshot because the count
// grows. A dirty tree adds ".dirty". Anything else (a bare hash, "dev")
// sorts below every release as "0~git.HASH".
func debVersion(v string) string {
	m := describeRe.FindStringSubmatch(v)
	switch {
	case m == nil:
		clean := regexp.MustCompile(`[^0-9A-Za-z.+~]+`).ReplaceAllString(v, ".")
		return "0~git." + strings.Trim(clean, ".")
	case m[2] == "" || m[2] == "0" && m[4] == "":
		return m[1] + strings.ReplaceAll(m[4], "-", "+")
	}
	return m[1] + "+git" + m[2] + ".g" + m[3] + strings.ReplaceAll(m[4], "-", ".")
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
	if err := os.WriteFile(changelog, []byte(changelogYAML(version+"-"+debRevision, o.Maintainer, when)), 0o644); err != nil {
		return nil, err
	}
	bins := []string{o.Binary, o.Shim, o.Metrics}
	depends, err := libcDepends(bins...)
	if err != nil {
		return nil, err
	}
	scripts := filepath.Join(o.Root, "internal", "debpkg", "scripts")
	return &nfpm.Info{
		Name:          "switchman",
		Arch:          o.Arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none",
		Release:       debRevision,
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    o.Maintainer,
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
			Depends: depends,
			// logrotate rotates /var/log/switchman; bash-completion loads
			// the bash completion.
			Recommends: []string{"cron | cron-daemon", "logrotate"},
			Suggests:   []string{"bash-completion"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(scripts, "postinst"),
				PostRemove:  filepath.Join(scripts, "postrm"),
			},
		},
	}, nil
}

// debRevision is the Debian revision: a non-native package, whose
// changelog is changelog.Debian.gz, the name nfpm writes.
const debRevision = "1"

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
	// The example config is documentation, not a conffile: a conffile
	// /etc/switchman.yaml would be read before the original tool's
	// /etc/switchman.conf and so change which config a host uses. postinst
	// copies it to /etc only where neither file exists.
	rotate := file(filepath.Join(o.Root, "internal", "debpkg", "files", "logrotate"), "/etc/logrotate.d/switchman", 0o644, when)
	rotate.Type = files.TypeConfig
	c := files.Contents{
		file(o.Binary, "/usr/bin/switchman", 0o755, when),
		file(filepath.Join(o.Root, "examples", "switchman.yaml"), doc+"examples/switchman.yaml", 0o644, when),
		rotate,
		file(filepath.Join(o.Root, "internal", "debpkg", "files", "lintian-overrides"), "/usr/share/lintian/overrides/switchman", 0o644, when),
		file(readme, doc+"README.md.gz", 0o644, when),
		file(copyright, doc+"copyright", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "switchman.bash"), "/usr/share/bash-completion/completions/switchman", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "_switchman"), "/usr/share/zsh/vendor-completions/_switchman", 0o644, when),
		file(filepath.Join(o.Docs, "completions", "switchman.fish"), "/usr/share/fish/vendor_completions.d/switchman.fish", 0o644, when),
	}
	// The notify examples are documentation, not executables: a notify
	// command runs them with sh (see their comments).
	for _, n := range []string{"mail", "webhook", "slack"} {
		c = append(c, file(filepath.Join(o.Root, "examples", "notify", n), doc+"examples/notify/"+n, 0o644, when))
	}
	if o.Shim != "" {
		c = append(c, file(o.Shim, "/usr/lib/switchman/switchman-shim", 0o755, when))
	}
	if o.Metrics != "" {
		c = append(c, file(o.Metrics, "/usr/lib/switchman/switchman-metrics", 0o755, when))
	}
	if o.Serve != "" {
		c = append(c, file(o.Serve, "/usr/lib/switchman/switchman-serve", 0o755, when))
	}
	pages, err := manPages(o.Docs, stage, when)
	if err != nil {
		return nil, err
	}
	c = append(c, pages...)
	return c, nil
}

// manPages gzips every page gen-docs wrote (man1/*.1, man5/*.5) into
// /usr/share/man.
func manPages(docs, stage string, when time.Time) (files.Contents, error) {
	var c files.Contents
	for _, sec := range []string{"1", "5"} {
		pages, err := filepath.Glob(filepath.Join(docs, "man"+sec, "*."+sec))
		if err != nil || len(pages) == 0 {
			return nil, errors.Join(err, fmt.Errorf("no man pages in %s (run switchman gen-docs)", filepath.Join(docs, "man"+sec)))
		}
		for _, p := range pages {
			gz, err := gzipTo(p, filepath.Join(stage, filepath.Base(p)+".gz"))
			if err != nil {
				return nil, err
			}
			c = append(c, file(gz, "/usr/share/man/man"+sec+"/"+filepath.Base(gz), 0o644, when))
		}
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
