package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCachedFQDN: the resolved name is stored under the cache directory,
// reused while fresh, and resolved again once older than fqdnCacheFor or
// dated in the future.
func TestCachedFQDN(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	h, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname")
	}
	now := time.Now()
	want := FQDN()
	if got := cachedFQDN(now); got != want {
		t.Fatalf("first call = %q, want %q", got, want)
	}
	p := filepath.Join(dir, "switchman", "fqdn-"+h)
	if b, err := os.ReadFile(p); err != nil || string(b) != want {
		t.Fatalf("cache file = %q, %v; want %q", b, err, want)
	}
	if err := os.WriteFile(p, []byte("cached.example"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		mtime time.Time
		want  string
	}{
		{"fresh", now.Add(-time.Minute), "cached.example"},
		{"stale", now.Add(-fqdnCacheFor - time.Second), want},
		{"future", now.Add(time.Hour), want},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte("cached.example"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, tt.mtime, tt.mtime); err != nil {
				t.Fatal(err)
			}
			if got := cachedFQDN(now); got != tt.want {
				t.Fatalf("cachedFQDN = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHost: --hostname wins over the config's hostname, which wins over
// the FQDN.
func TestHost(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, tt := range []struct {
		name, flag, config, want string
	}{
		{"flag over config", "flag.example", "conf.example", "flag.example"},
		{"config", "", "conf.example", "conf.example"},
		{"fqdn", "", "", FQDN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Hostname: tt.config}
			if got := c.Host(tt.flag); got != tt.want {
				t.Fatalf("Host(%q) with hostname %q = %q, want %q", tt.flag, tt.config, got, tt.want)
			}
		})
	}
}
