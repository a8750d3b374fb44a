package lock

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// ServerVersion asks the server at addr for its version with the `srvr`
// four-letter word, over TLS when tc is set. Production servers often
// leave srvr off (4lw.commands.whitelist): then it returns an error.
func ServerVersion(ctx context.Context, addr string, tc *tls.Config, timeout time.Duration) (string, error) {
	resp, err := FourLetter(ctx, addr, tc, "srvr", timeout)
	if err != nil {
		return "", err
	}
	for l := range strings.SplitSeq(resp, "\n") {
		if v, ok := strings.CutPrefix(l, "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, ",")
			return v, nil
		}
	}
	return "", errors.New("no version in the srvr answer")
}

// FourLetter sends a four-letter word (srvr, mntr, conf) to the server at
// addr, over TLS when tc is set, and returns the whole answer, within
// timeout. A word the server does not allow (4lw.commands.whitelist) is
// an error that says so.
func FourLetter(ctx context.Context, addr string, tc *tls.Config, word string, timeout time.Duration) (string, error) {
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
	if _, err := c.Write([]byte(word)); err != nil {
		return "", err
	}
	// The server closes the connection after its answer.
	b, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	resp := string(b)
	if strings.Contains(resp, "not in the whitelist") || strings.Contains(resp, "not executed") {
		return "", fmt.Errorf("%s is disabled on the server (4lw.commands.whitelist)", word)
	}
	return resp, nil
}
