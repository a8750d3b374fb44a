package zktest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// pollInterval is how often WaitServing asks `srvr`: short enough that a test
// waits at most 50ms longer than needed, long enough not to load the JVM.
const pollInterval = 50 * time.Millisecond

// FourLetter sends a four-letter-word command ("ruok", "srvr", "mntr", ...)
// to the ZooKeeper client port at addr and returns the whole response. The
// dial, write and read together take at most timeout. A paused (SIGSTOPped)
// server accepts the connection in the kernel but never answers, so this
// returns a timeout error for it.
func FourLetter(addr, cmd string, timeout time.Duration) (string, error) {
	if len(cmd) != 4 {
		return "", fmt.Errorf("%w: four-letter word %q has %d letters", ErrBadOptions, cmd, len(cmd))
	}
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("four-letter %s to %s: %w", cmd, addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("four-letter %s to %s: %w", cmd, addr, err)
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", fmt.Errorf("four-letter %s to %s: %w", cmd, addr, err)
	}
	// ZooKeeper closes the connection after answering.
	resp, err := io.ReadAll(conn)
	if err != nil {
		return string(resp), fmt.Errorf("four-letter %s to %s: %w", cmd, addr, err)
	}
	return string(resp), nil
}

// parseMode returns the value of the "Mode: " line of a `srvr` response, or
// an error wrapping ErrNotServing if there is none (ZooKeeper answers "This
// ZooKeeper instance is not currently serving requests" outside a quorum).
func parseMode(resp string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(resp))
	for sc.Scan() {
		if mode, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(mode), nil
		}
	}
	return "", fmt.Errorf("%w: srvr answered %q", ErrNotServing, strings.TrimSpace(resp))
}

// mode asks addr for its mode ("standalone", "leader", "follower", ...).
func mode(addr string, timeout time.Duration) (string, error) {
	resp, err := FourLetter(addr, "srvr", timeout)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotServing, err)
	}
	return parseMode(resp)
}

// WaitServing polls addr with `srvr` every 50ms until the answer has a Mode
// line (the server serves clients: standalone, or in a quorum) and returns
// nil, or returns an error wrapping ErrNotServing with the last answer after
// timeout.
func WaitServing(addr string, timeout time.Duration) error {
	return waitServing(addr, timeout, nil)
}

// waitServing is WaitServing that also gives up, with ErrExited, as soon as
// exited is closed (the JVM died: no point in waiting for the timeout).
func waitServing(addr string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		// One probe may take up to a second (a JVM in a long GC pause still
		// counts as coming up), so the overall bound can be overshot by ~1s.
		_, err := mode(addr, time.Second)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return ErrExited
		case <-deadline.C:
			return fmt.Errorf("%s not serving after %v: %w", addr, timeout, err)
		case <-tick.C:
		}
	}
}

// Zxid asks the server at addr for its last zxid (the `srvr` answer's
// "Zxid: 0x..." line). Every write transaction the server commits, failed
// ones included (a create that meets an existing node, a session's create
// and close), takes the next zxid, so the difference of two readings is
// the exact count of writes in between. Reading it writes nothing.
func Zxid(addr string, timeout time.Duration) (int64, error) {
	resp, err := FourLetter(addr, "srvr", timeout)
	if err != nil {
		return 0, err
	}
	return parseZxid(resp)
}

// parseZxid returns the value of the "Zxid: 0x..." line of a `srvr`
// response.
func parseZxid(resp string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(resp))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Zxid: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
			if err != nil {
				return 0, fmt.Errorf("srvr: bad zxid %q: %w", v, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: srvr answered %q", ErrNotServing, strings.TrimSpace(resp))
}

// Mntr asks the server at addr for one numeric value of its `mntr`
// answer, e.g. "zk_packets_received" (every request the server has read,
// the `mntr` itself not included) or "zk_num_alive_connections".
func Mntr(addr, key string, timeout time.Duration) (int64, error) {
	resp, err := FourLetter(addr, "mntr", timeout)
	if err != nil {
		return 0, err
	}
	for l := range strings.SplitSeq(resp, "\n") {
		if v, ok := strings.CutPrefix(l, key+"\t"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("mntr: bad %s %q: %w", key, v, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("mntr has no %s: %q", key, strings.TrimSpace(resp))
}
