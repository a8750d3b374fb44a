package znode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

func TestMultiErr(t *testing.T) {
	for _, tt := range []struct {
		name string
		res  []zk.MultiResponse
		err  error
		want error
	}{
		{"success", []zk.MultiResponse{{}, {}}, nil, nil},
		{"header error wins", []zk.MultiResponse{{Error: zk.ErrNoNode}}, zk.ErrBadVersion, zk.ErrBadVersion},
		{"operation error", []zk.MultiResponse{{}, {Error: zk.ErrNodeExists}}, nil, zk.ErrNodeExists},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := MultiErr(tt.res, tt.err); !errors.Is(got, tt.want) || (tt.want == nil) != (got == nil) {
				t.Errorf("MultiErr = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAuthErr(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		isAuth bool
	}{
		{"no auth", zk.ErrNoAuth, true},
		{"auth failed", zk.ErrAuthFailed, true},
		{"other errors pass", zk.ErrNoNode, false},
		{"nil passes", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := AuthErr(tt.err)
			if errors.Is(got, ErrAuth) != tt.isAuth {
				t.Errorf("AuthErr(%v) = %v, ErrAuth %v", tt.err, got, !tt.isAuth)
			}
			if !tt.isAuth && got != tt.err {
				t.Errorf("AuthErr(%v) = %v, want it unchanged", tt.err, got)
			}
		})
	}
}

// TestRetry runs Retry over ops that fail a given number of times; resume
// stands for the session coming back.
func TestRetry(t *testing.T) {
	resumeErr := errors.New("session gone")
	for _, tt := range []struct {
		name        string
		failures    int
		failWith    error
		resume      error
		wantCalls   int
		wantErr     error
		wantResumes int
	}{
		{"success at once", 0, nil, nil, 1, nil, 0},
		{"one connection loss", 1, zk.ErrConnectionClosed, nil, 2, nil, 1},
		{"loss stays", 5, zk.ErrConnectionClosed, nil, 3, ErrUnreachable, 2},
		{"other error is not retried", 5, zk.ErrNoNode, nil, 1, zk.ErrNoNode, 0},
		{"session does not come back", 5, zk.ErrNoServer, resumeErr, 1, resumeErr, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resumes := 0
			c := New(nil, nil, func(context.Context) error { resumes++; return tt.resume }, nil)
			calls := 0
			err := c.Retry(context.Background(), func() error {
				calls++
				if calls <= tt.failures {
					return tt.failWith
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Retry = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls || resumes != tt.wantResumes {
				t.Errorf("%d calls and %d resumes, want %d and %d", calls, resumes, tt.wantCalls, tt.wantResumes)
			}
		})
	}
}

// TestHelpers runs the helpers against a real server and checks what each
// costs in requests.
func TestHelpers(t *testing.T) {
	srv := zktest.Start(t)
	conn, err := zktest.Connect([]string{srv.Addr}, 5*time.Second, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := New(conn, zk.WorldACL(zk.PermAll), func(context.Context) error { return errors.New("no resume in this test") },
		func() int64 { return 4 })
	t.Cleanup(c.Close)
	if n := c.ConnectAttempts(); n != 4 || c.Requests() != 0 {
		t.Errorf("ConnectAttempts = %d after %d requests; want the session's 4 and no request", n, c.Requests())
	}
	step := func(name string, want int64, f func() error) {
		t.Helper()
		before := c.Requests()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := c.Requests() - before; got != want {
			t.Errorf("%s: %d requests, want %d", name, got, want)
		}
	}
	step("layout of a missing prefix", 1, func() error {
		if err := c.EnsureLayout("/sw", "a", "b"); !errors.Is(err, ErrNoPrefix) {
			return errors.Join(errors.New("want ErrNoPrefix"), err)
		}
		return nil
	})
	step("prefix", 1, func() error { return c.EnsureNode("/sw") })
	step("layout", 3, func() error { return c.EnsureLayout("/sw", "b", "a") })
	step("layout again", 3, func() error { return c.EnsureLayout("/sw", "b", "a") })
	step("list", 1, func() error {
		kids, err := c.List("/sw")
		if err == nil && !reflect.DeepEqual(kids, []string{"a", "b"}) {
			t.Errorf("List = %q, want sorted [a b]", kids)
		}
		return err
	})
	step("list a missing node", 1, func() error {
		kids, err := c.List("/nope")
		if err == nil && kids != nil {
			t.Errorf("List of a missing node = %q", kids)
		}
		return err
	})
	step("read empty data", 1, func() error {
		b, st, err := c.Read("/sw/a")
		if err == nil && (b == nil || st == nil) {
			t.Errorf("Read of an empty node = %v, %v; want non-nil data and stat", b, st)
		}
		return err
	})
	step("read a missing node", 1, func() error {
		b, _, err := c.Read("/sw/nope")
		if err == nil && b != nil {
			t.Errorf("Read of a missing node = %q", b)
		}
		return err
	})
	step("remove", 2, func() error {
		if ok, err := c.Remove("/sw/a"); !ok || err != nil {
			return errors.Join(errors.New("first remove"), err)
		}
		if ok, err := c.Remove("/sw/a"); ok || err != nil {
			return errors.Join(errors.New("second remove reports a node"), err)
		}
		return nil
	})
	step("multi", 1, func() error {
		_, err := c.Multi(&zk.CreateRequest{Path: "/sw/c", Acl: c.ACL()}, &zk.SetDataRequest{Path: "/sw/missing", Version: -1})
		if !errors.Is(err, zk.ErrNoNode) {
			return errors.Join(errors.New("want the failed operation's ErrNoNode"), err)
		}
		return nil
	})
}

// TestIsConnErr checks which errors mean a request's fate is unknown
// because the connection dropped.
func TestIsConnErr(t *testing.T) {
	reset := &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection closed", zk.ErrConnectionClosed, true},
		{"no server", fmt.Errorf("get: %w", zk.ErrNoServer), true},
		{"session moved", zk.ErrSessionMoved, true},
		{"closing", zk.ErrClosing, true},
		{"written as the server dropped the connection", reset, true},
		{"no node", zk.ErrNoNode, false},
		{"session expired", zk.ErrSessionExpired, false},
		{"no auth", zk.ErrNoAuth, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsConnErr(tt.err); got != tt.want {
				t.Errorf("IsConnErr(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
