package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		if err := os.WriteFile(p, []byte(c.body), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.mode); err != nil {
			t.Fatal(err)
		}
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
			o, err := parse(tt.args, io.Discard)
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
