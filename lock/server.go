package lock

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"
)

// ServerVersion asks the server at addr for its version with the `srvr`
// four-letter word, over TLS when tc is set. Production servers often
// leave srvr off (4lw.commands.whitelist): then it returns an error.
func ServerVersion(ctx context.Context, addr string, tc *tls.Config, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var c net.Conn
	var err error
	if tc != nil {
		cfg := tc.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		c, err = (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	if _, err := c.Write([]byte("srvr")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, ",")
			return v, nil
		}
		if strings.Contains(sc.Text(), "not in the whitelist") || strings.Contains(sc.Text(), "not executed") {
			return "", errors.New("srvr is disabled on the server (4lw.commands.whitelist)")
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no version in the srvr answer")
}
