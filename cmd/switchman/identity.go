package main

import (
	"context"
	"net"
	"os"
	"strings"
	"time"

	"github.com/acme/switchman/config"
)

// hostIdentity is this host's name in the group data: --hostname, else
// the config's hostname, else the FQDN.
func hostIdentity(flag string, cfg *config.Config) string {
	switch {
	case flag != "":
		return flag
	case cfg.Hostname != "":
		return cfg.Hostname
	}
	return hostFQDN()
}

// hostFQDN returns this host's canonical name, as the original used (Perl's
// hostfqdn, like `hostname -f`), not the short hostname. It falls back to
// the short name when no resolver knows better.
func hostFQDN() string {
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
