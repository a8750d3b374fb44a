package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// TLS is the config file's tls mapping: how to reach ZooKeeper's secure
// client port. The server is always verified.
type TLS struct {
	// CA is a PEM file of the certificate authorities that may sign the
	// server's certificate; empty means the system's roots.
	CA string
	// Cert and Key are this client's PEM certificate and key, for servers
	// that ask for one (ZooKeeper does by default). Both or neither.
	Cert, Key string
	// ServerName is the name the server's certificate must carry; empty
	// means the host part of each zkhosts entry.
	ServerName string
}

func setAuthFile(c *Config, n *yaml.Node) error {
	s, err := scalar(n)
	if err != nil {
		return err
	}
	if s == "" || n.Tag != "!!str" {
		return fmt.Errorf("must be the path of a file holding \"user:password\", got %q", s)
	}
	c.AuthFile, c.authLine = s, n.Line
	return nil
}

// ReadAuthFile reads ZooKeeper digest credentials from path: one line
// "user:password". It refuses a file that group or others may access, since
// the credentials guard the fleet's permissions.
func ReadAuthFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("%s is accessible by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b := make([]byte, 4096)
	nr, _ := f.Read(b)
	line := strings.TrimRight(string(b[:nr]), "\r\n")
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" || pass == "" || strings.ContainsAny(line, "\r\n\t ") {
		return "", fmt.Errorf("%s must hold one line \"user:password\" with no spaces", path)
	}
	return line, nil
}

func setTLS(c *Config, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping with ca, cert, key, server_name, got a %s", kindName(n))
	}
	t := &TLS{}
	fields := map[string]*string{"ca": &t.CA, "cert": &t.Cert, "key": &t.Key, "server_name": &t.ServerName}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		dst, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q (known: ca, cert, key, server_name)", k.Line, k.Value)
		}
		s, err := scalar(v)
		if err != nil || v.Tag != "!!str" || s == "" {
			return fmt.Errorf("line %d: %q must be a non-empty string, got %q", v.Line, k.Value, v.Value)
		}
		*dst = s
	}
	if (t.Cert == "") != (t.Key == "") {
		return errors.New(`"cert" and "key" go together: give both or neither`)
	}
	c.TLS = t
	return nil
}

// ClientTLS returns the TLS settings for ZooKeeper connections the config
// asks for, nil when it asks for none. A TLS file that cannot be read is a
// *FileError naming the config file.
func (c *Config) ClientTLS() (*tls.Config, error) {
	if c.TLS == nil {
		return nil, nil
	}
	tc, err := c.TLS.ClientConfig()
	if err != nil {
		return nil, &FileError{Err: fmt.Errorf("%s: %w", c.Path, err)}
	}
	return tc, nil
}

// ClientConfig reads the files t names and returns the TLS settings for
// ZooKeeper connections. Errors name the file at fault.
func (t *TLS) ClientConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca: %s holds no PEM certificate", t.CA)
		}
	}
	if t.Cert != "" {
		kp, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls cert %s, key %s: %w", t.Cert, t.Key, err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}
