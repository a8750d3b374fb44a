package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func TestParseAndProtect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "auth")
	open := filepath.Join(dir, "open")
	bad := filepath.Join(dir, "bad")
	for p, c := range map[string]struct {
		body string
		mode os.FileMode
	}{good: {"ops:s3cret\n", 0o600}, open: {"ops:s3cret\n", 0o644}, bad: {"nocolon\n", 0o600}} {
		testenv.WriteFile(t, p, []byte(c.body), c.mode)
	}
	for _, tt := range []struct {
		name string
		args []string
		err  string // "" for none
	}{
		{"default loopback", nil, ""},
		{"localhost", []string{"--listen", "localhost:0"}, ""},
		{"ipv6 loopback", []string{"--listen", "[::1]:0"}, ""},
		{"open address without protection", []string{"--listen", "0.0.0.0:9780"}, "not loopback"},
		{"open address with auth only", []string{"--listen", "0.0.0.0:9780", "--basic-auth-file", good}, "not loopback"},
		{"open address with TLS and auth", []string{"--listen", "0.0.0.0:9780", "--basic-auth-file", good, "--tls-cert", "c", "--tls-key", "k"}, ""},
		{"cert without key", []string{"--tls-cert", "c"}, "go together"},
		{"auth file readable by others", []string{"--basic-auth-file", open}, "chmod 600"},
		{"auth file without a colon", []string{"--basic-auth-file", bad}, "user:password"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
		{"bad listen", []string{"--listen", "nope"}, "--listen"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.args)
			if err == nil {
				_, err = protect(o, http.NotFoundHandler())
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestParseUsage checks how the helper's command line fails: -h points to
// `switchman serve --help`, a bad flag or pairing is a usage error (exit 64
// in main), each one line.
func TestParseUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		help bool
	}{
		{"help", []string{"-h"}, true},
		{"long help", []string{"--help"}, true},
		{"unknown flag", []string{"--bogus"}, false},
		{"missing value", []string{"--listen"}, false},
		{"stray argument", []string{"--listen=127.0.0.1:0", "x"}, false},
		{"cert without key", []string{"--tls-cert=c"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(tt.args)
			var ue usageError
			switch {
			case tt.help && !errors.Is(err, flag.ErrHelp):
				t.Fatalf("parse(%q) = %v, want flag.ErrHelp", tt.args, err)
			case !tt.help && (!errors.As(err, &ue) || strings.Contains(err.Error(), "\n")):
				t.Fatalf("parse(%q) = %v, want a one-line usageError", tt.args, err)
			}
		})
	}
}

// TestServeTLSAndAuth runs the helper against a real ZooKeeper on a
// loopback port with TLS and basic auth: HTTPS with the given certificate,
// 401 without credentials, the fleet with them, and a clean stop.
func TestServeTLSAndAuth(t *testing.T) {
	srv := zktest.Start(t)
	conn, err := zktest.Connect([]string{srv.Addr}, 10*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Create("/sw", []byte(`{"groups":{}}`), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := zktest.WriteConfig(t, filepath.Join(dir, "switchman.yaml"), zktest.SwitchmanConfig{Hosts: srv.Addr, Prefix: "/sw"})
	auth := filepath.Join(dir, "auth")
	cert, key, pool := serverCert(t, dir)
	if err := os.WriteFile(auth, []byte("ops:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config=" + cfg, "--listen=127.0.0.1:0", "--tls-cert=" + cert, "--tls-key=" + key, "--basic-auth-file=" + auth}, w)
		w.Close()
	}()
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "switchman serve: listening on "); ok {
				url <- u
			}
		}
	}()
	var base string
	select {
	case base = <-url:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("listening on %s, want https", base)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	status := func(user, pass string) int {
		req, _ := http.NewRequest("GET", base+"api/fleet", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			// 503 until the first read of the fleet is done.
			if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
				return resp.StatusCode
			}
		}
	}
	if got := status("", ""); got != http.StatusUnauthorized {
		t.Errorf("without credentials: %d", got)
	}
	if got := status("ops", "wrong"); got != http.StatusUnauthorized {
		t.Errorf("with a wrong password: %d", got)
	}
	if got := status("ops", "s3cret"); got != http.StatusOK {
		t.Errorf("with credentials: %d", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s")
	}
}

// serverCert writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool trusting it.
func serverCert(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	ca := testenv.NewCA(t, "switchman-serve test CA")
	certPEM, keyPEM := ca.Issue(t, "127.0.0.1", 2)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key, ca.Pool()
}
