package config

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Host returns this host's name in the group data: flag (--hostname) when
// set, else the config's hostname, else the FQDN, cached as CacheDir
// says.
func (c *Config) Host(flag string) string {
	switch {
	case flag != "":
		return flag
	case c.Hostname != "":
		return c.Hostname
	}
	return cachedFQDN(time.Now())
}

// CacheDir returns the directory of this user's host-local state (the
// cached FQDN, the heartbeat stamp, the spool of run records): switchman
// under the user's cache directory ($XDG_CACHE_HOME or ~/.cache), or ""
// when the user has none.
func CacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "switchman")
}

// fqdnCacheFor is how long a resolved FQDN is reused. Resolving it costs a
// run about 7 ms of CPU (the resolver's set-up and three lookups), more
// than any other step before ZooKeeper, and it changes only when DNS or
// /etc/hosts is edited; a run within this long of such an edit still uses
// the old name. A change of the hostname itself is seen at once: the cache
// is keyed by it.
const fqdnCacheFor = 10 * time.Minute

// cachedFQDN returns FQDN, from a file in CacheDir (fqdn-HOSTNAME) when it
// was written less than fqdnCacheFor before now. Where there is no cache
// to read or write, it resolves every time, as the original did.
func cachedFQDN(now time.Time) string {
	h, err := os.Hostname()
	dir := CacheDir()
	if err != nil || dir == "" || h == "" || strings.ContainsAny(h, "/\x00") {
		return FQDN()
	}
	p := filepath.Join(dir, "fqdn-"+h)
	if st, err := os.Stat(p); err == nil && now.Sub(st.ModTime()) < fqdnCacheFor && !st.ModTime().After(now) {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 && !strings.ContainsAny(string(b), " \t\n") {
			return string(b)
		}
	}
	name := FQDN()
	// Written whole, then renamed: a concurrent run reads the old name or
	// the new one, never a part. A failure only costs the next run a lookup.
	if os.MkdirAll(dir, 0o700) == nil {
		tmp := fmt.Sprintf("%s.%d", p, os.Getpid())
		if os.WriteFile(tmp, []byte(name), 0o600) == nil && os.Rename(tmp, p) != nil {
			os.Remove(tmp)
		}
	}
	return name
}

// FQDN returns this host's canonical name, as the original used (Perl's
// hostfqdn, like `hostname -f`), not the short hostname. It falls back to
// the short name when no resolver knows better, and to "localhost" when
// the host has no name. It resolves every time (see Config.Host).
func FQDN() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if strings.Contains(h, ".") {
		return h
	}
	// Bounded: a dead DNS server must not hold a cron job for long; the
	// usual answer comes from /etc/hosts at once.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := net.DefaultResolver.LookupCNAME(ctx, h); err == nil {
		if c = strings.TrimSuffix(c, "."); strings.Contains(c, ".") {
			return c
		}
	}
	addrs, _ := net.DefaultResolver.LookupHost(ctx, h)
	for _, a := range addrs {
		names, _ := net.DefaultResolver.LookupAddr(ctx, a)
		for _, n := range names {
			if n = strings.TrimSuffix(n, "."); strings.Contains(n, ".") && strings.HasPrefix(n, h+".") {
				return n
			}
		}
	}
	return h
}
