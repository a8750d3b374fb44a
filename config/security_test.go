package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acme/switchman/internal/testenv"
	"github.com/acme/switchman/internal/zktest"
)

func TestReadAuthFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		body    string
		mode    os.FileMode
		want    string
		wantErr string
	}{
		{name: "private file", body: "switchman:s3cret\n", mode: 0o600, want: "switchman:s3cret"},
		{name: "owner read-only", body: "u:p", mode: 0o400, want: "u:p"},
		{name: "group readable", body: "u:p\n", mode: 0o640, wantErr: "mode 0640"},
		{name: "world readable", body: "u:p\n", mode: 0o644, wantErr: "chmod 600"},
		{name: "no colon", body: "justuser\n", mode: 0o600, wantErr: `"user:password"`},
		{name: "empty password", body: "u:\n", mode: 0o600, wantErr: `"user:password"`},
		{name: "two lines", body: "u:p\nv:q\n", mode: 0o600, wantErr: `"user:password"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := testenv.WriteFile(t, filepath.Join(dir, string(rune('a'+i))), []byte(tt.body), tt.mode)
			got, err := ReadAuthFile(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err %v, want one naming %s and containing %q", err, p, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestLoadAuthFileError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := testenv.WriteFile(t, filepath.Join(dir, "secret"), []byte("u:p\n"), 0o644)
	cfg := zktest.WriteConfig(t, filepath.Join(dir, "c.yaml"), zktest.SwitchmanConfig{Hosts: "a:1", Prefix: "/p",
		Extra: []string{"auth_file: " + secret}})
	_, err := Load(cfg)
	if err == nil || !strings.HasPrefix(err.Error(), cfg+`: line 3: key "auth_file": `) {
		t.Fatalf("err %v, want one naming the file, line and key", err)
	}
}

func TestParseTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tls     string
		want    TLS
		wantErr string
	}{
		{name: "all keys", tls: "{ca: /c.pem, cert: /x.pem, key: /x.key, server_name: zk.example.com}",
			want: TLS{CA: "/c.pem", Cert: "/x.pem", Key: "/x.key", ServerName: "zk.example.com"}},
		{name: "ca only", tls: "{ca: /c.pem}", want: TLS{CA: "/c.pem"}},
		{name: "cert without key", tls: "{ca: /c.pem, cert: /x.pem}", wantErr: `"cert" and "key" go together`},
		{name: "unknown key", tls: "{ca: /c.pem, cafile: /d}", wantErr: `unknown key "cafile"`},
		{name: "not a mapping", tls: "/c.pem", wantErr: "must be a mapping"},
		{name: "number value", tls: "{ca: 3}", wantErr: `"ca" must be a non-empty string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse("t.yaml", []byte("zkhosts: a:1\nprefix: /p\ntls: "+tt.tls+"\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "t.yaml: line 3") {
					t.Fatalf("err %v, want one starting \"t.yaml: line 3\" containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.TLS == nil || *c.TLS != tt.want {
				t.Fatalf("got %+v, %v; want %+v", c.TLS, err, tt.want)
			}
		})
	}
}

func TestTLSClientConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     TLS
		wantErr string
	}{
		{"missing ca", TLS{CA: filepath.Join(dir, "none.pem")}, "none.pem"},
		{"ca without certificates", TLS{CA: junk}, "holds no PEM certificate"},
		{"bad key pair", TLS{Cert: junk, Key: junk}, "junk.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.tls.ClientConfig(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestClientTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantTLS bool
		wantErr string
	}{
		{"no tls", Config{Path: "/etc/switchman.yaml"}, false, ""},
		{"system roots", Config{Path: "/etc/switchman.yaml", TLS: &TLS{ServerName: "zk"}}, true, ""},
		{"unreadable ca names the config", Config{Path: "/etc/switchman.yaml", TLS: &TLS{CA: filepath.Join(t.TempDir(), "none.pem")}}, false, "/etc/switchman.yaml: tls ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tc, err := tt.cfg.ClientTLS()
			if tt.wantErr != "" {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want a *FileError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || (tc != nil) != tt.wantTLS {
				t.Fatalf("got %v, %v; want TLS %v", tc, err, tt.wantTLS)
			}
		})
	}
}
