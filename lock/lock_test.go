package lock

import (
	"context"
	"errors"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-zookeeper/zk"

	"github.com/acme/switchman/internal/zktest"
)

// testTimeout is the session timeout of the tests: short so that expiry and
// self-fencing happen within seconds.
const testTimeout = 2 * time.Second

func dial(t *testing.T, addr string) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, Options{Servers: []string{addr}, SessionTimeout: testTimeout, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func mkPrefix(t *testing.T, s *Session, p string, data string) {
	t.Helper()
	if _, err := s.conn.Create(p, []byte(data), 0); err != nil {
		t.Fatalf("create %s: %v", p, err)
	}
}

func waitDone(t *testing.T, ctx context.Context, within time.Duration) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(within):
		t.Fatalf("guard did not fire within %s", within)
		return nil
	}
}

func TestAcquireExclusive(t *testing.T) {
	srv := zktest.Start(t)
	a, b := dial(t, srv.Addr), dial(t, srv.Addr)
	mkPrefix(t, a, "/sw", "")
	ctx := context.Background()

	held, err := NewMutex(a, "/sw", "job").Acquire(ctx, Info{Host: "a.example.com", PID: 42, Start: time.Now()})
	if err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	for _, d := range []string{LocksDir, QueuesDir, SemaphoresDir} {
		if ok, _, _ := a.conn.Exists(path.Join("/sw", d)); !ok {
			t.Errorf("layout node %s not created", d)
		}
	}
	_, err = NewMutex(b, "/sw", "job").Acquire(ctx, Info{Host: "b.example.com"})
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
		t.Fatalf("second Acquire = %v, want BusyError", err)
	}
	if busy.Holder.Host != "a.example.com" || busy.Holder.PID != 42 || !strings.Contains(err.Error(), "a.example.com pid 42") {
		t.Errorf("holder not reported: %v", err)
	}

	// Releasing hands the lock on, and the new holder's token is higher.
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	held2, err := NewMutex(b, "/sw", "job").Acquire(ctx, Info{Host: "b.example.com"})
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	if held2.Token <= held.Token {
		t.Errorf("fencing token did not grow: %d then %d", held.Token, held2.Token)
	}
	// A stale holder's Release must not delete the new holder's node.
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := a.conn.Exists(held2.Path); !ok {
		t.Fatal("stale Release deleted another session's lock")
	}
}

func TestCloseReleasesLock(t *testing.T) {
	srv := zktest.Start(t)
	a, b := dial(t, srv.Addr), dial(t, srv.Addr)
	mkPrefix(t, a, "/sw", "")
	if _, err := NewMutex(a, "/sw", "job").Acquire(context.Background(), Info{}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := NewMutex(b, "/sw", "job").Acquire(context.Background(), Info{}); err != nil {
		t.Fatalf("lock not free after the holder's session closed: %v", err)
	}
}

func TestMissingPrefix(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	_, err := NewMutex(s, "/nope", "job").Acquire(context.Background(), Info{})
	if !errors.Is(err, ErrNoPrefix) || !strings.Contains(err.Error(), "/nope") {
		t.Fatalf("Acquire under a missing prefix = %v", err)
	}
	if _, err := WatchData(s, "/nope"); !errors.Is(err, ErrNoPrefix) {
		t.Fatalf("WatchData missing prefix = %v", err)
	}
	if ok, _, _ := s.conn.Exists("/nope"); ok {
		t.Fatal("switchman created the prefix itself")
	}
}

func TestDialUnreachable(t *testing.T) {
	t.Parallel()
	start := time.Now()
	// Port 1 on loopback: nothing listens there.
	_, err := Dial(context.Background(), Options{Servers: []string{"127.0.0.1:1"}, SessionTimeout: testTimeout, ConnectTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Dial = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial took %s with a 300ms connect timeout", d)
	}
}

// TestHotPathRoundTrips guards the number of requests of a run: read the
// group data with a watch, create the lock, read it with a watch. Parent
// nodes are created only when missing.
func TestHotPathRoundTrips(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", `{"groups":{}}`)
	if _, err := NewMutex(s, "/sw", "first").Acquire(context.Background(), Info{}); err != nil {
		t.Fatal(err)
	}
	before := s.Requests()
	if _, err := WatchData(s, "/sw"); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMutex(s, "/sw", "second").Acquire(context.Background(), Info{}); err != nil {
		t.Fatal(err)
	}
	if got := s.Requests() - before; got != 2 {
		t.Errorf("a run made %d requests, want 2 (get+watch data, the create multi)", got)
	}
}

func TestGuard(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{"g":["me"]}}`)
	member := func(b []byte) (bool, error) {
		if !strings.HasPrefix(string(b), "{") {
			return false, errors.New("malformed")
		}
		return strings.Contains(string(b), `"me"`), nil
	}
	start := func(t *testing.T, name string) (*Session, *Held, context.Context) {
		s := dial(t, srv.Addr)
		w, err := WatchData(s, "/sw")
		if err != nil {
			t.Fatal(err)
		}
		h, err := NewMutex(s, "/sw", name).Acquire(context.Background(), Info{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := Guard(context.Background(), s, GuardOptions{Lock: h, Group: w, Member: member, Grace: time.Second})
		t.Cleanup(stop)
		return s, h, ctx
	}

	t.Run("lock node deleted", func(t *testing.T) {
		_, h, ctx := start(t, "deleted")
		if err := admin.conn.Delete(h.Path, -1); err != nil {
			t.Fatal(err)
		}
		if err := waitDone(t, ctx, 3*time.Second); !errors.Is(err, ErrLockLost) {
			t.Fatalf("cause = %v, want ErrLockLost", err)
		}
	})
	// Acquire sets no watch (one request); the guard sets it while the job
	// starts, so a node deleted, or taken over, in between is a loss too.
	t.Run("lock gone before the guard starts", func(t *testing.T) {
		for _, retake := range []bool{false, true} {
			s := dial(t, srv.Addr)
			h, err := NewMutex(s, "/sw", "early").Acquire(context.Background(), Info{})
			if err != nil {
				t.Fatal(err)
			}
			if err := admin.conn.Delete(h.Path, -1); err != nil {
				t.Fatal(err)
			}
			if retake {
				if _, err := NewMutex(admin, "/sw", "early").Acquire(context.Background(), Info{}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, stop := Guard(context.Background(), s, GuardOptions{Lock: h, Grace: time.Second})
			if err := waitDone(t, ctx, 3*time.Second); !errors.Is(err, ErrLockLost) {
				t.Fatalf("retaken=%v: cause = %v, want ErrLockLost", retake, err)
			}
			stop()
			if retake {
				if err := admin.conn.Delete(h.Path, -1); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	t.Run("malformed data keeps running, then a move stops", func(t *testing.T) {
		_, _, ctx := start(t, "moved")
		if _, err := admin.conn.Set("/sw", []byte("oops{"), -1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("malformed data stopped the job: %v", context.Cause(ctx))
		case <-time.After(500 * time.Millisecond):
		}
		if _, err := admin.conn.Set("/sw", []byte(`{"groups":{"g":["other"]}}`), -1); err != nil {
			t.Fatal(err)
		}
		if err := waitDone(t, ctx, 3*time.Second); !errors.Is(err, ErrNotMember) {
			t.Fatalf("cause = %v, want ErrNotMember", err)
		}
		if _, err := admin.conn.Set("/sw", []byte(`{"groups":{"g":["me"]}}`), -1); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("session closed elsewhere", func(t *testing.T) {
		s, _, ctx := start(t, "expired")
		s.conn.Close()
		if err := waitDone(t, ctx, 5*time.Second); err == nil {
			t.Fatal("no cause")
		}
	})
}

func TestGuardPrefixDeleted(t *testing.T) {
	srv := zktest.Start(t)
	admin := dial(t, srv.Addr)
	mkPrefix(t, admin, "/sw", `{"groups":{"g":["me"]}}`)
	s := dial(t, srv.Addr)
	w, err := WatchData(s, "/sw")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := Guard(context.Background(), s, GuardOptions{Group: w, Member: func([]byte) (bool, error) { return true, nil }})
	defer stop()
	if err := admin.conn.Delete("/sw", -1); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, ctx, 3*time.Second); !errors.Is(err, ErrPrefixDeleted) {
		t.Fatalf("cause = %v, want ErrPrefixDeleted", err)
	}
}

// TestSelfFencing freezes ZooKeeper past the session timeout: the guard must
// fire, and its deadline must fall before the server could expire the
// session, measured from the last byte heard.
func TestSelfFencing(t *testing.T) {
	srv := zktest.Start(t)
	s := dial(t, srv.Addr)
	mkPrefix(t, s, "/sw", "")
	h, err := NewMutex(s, "/sw", "job").Acquire(context.Background(), Info{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := Guard(context.Background(), s, GuardOptions{Lock: h, Grace: 10 * time.Second})
	defer stop()
	time.Sleep(300 * time.Millisecond)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	defer srv.Resume()
	paused := time.Now()
	err = waitDone(t, ctx, 2*testTimeout)
	fired := time.Now()
	var risk *AtRiskError
	if !errors.As(err, &risk) {
		t.Fatalf("cause = %v, want *AtRiskError", err)
	}
	heard := s.LastHeard()
	if !risk.KillBy().Before(heard.Add(testTimeout)) {
		t.Errorf("kill deadline %s is not before expiry %s", risk.KillBy().Sub(heard), testTimeout)
	}
	if fired.Sub(heard) < testTimeout/2 {
		t.Errorf("fired only %s after the last byte heard: too eager", fired.Sub(heard))
	}
	t.Logf("paused→fired %s, silent %s, kill deadline %s after last heard", fired.Sub(paused), risk.Silent, risk.KillBy().Sub(heard))
}

// TestRestartWithinSessionKeepsLock restarts the server quickly: the
// session survives, the guard must not fire and the lock stays ours.
func TestRestartWithinSessionKeepsLock(t *testing.T) {
	srv := zktest.Start(t)
	// A long session: the restart (a JVM start) takes seconds on a loaded
	// machine, and the guard rightly fires after 0.77 S of silence.
	s, err := Dial(context.Background(), Options{Servers: []string{srv.Addr}, SessionTimeout: 30 * time.Second, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mkPrefix(t, s, "/sw", "")
	h, err := NewMutex(s, "/sw", "job").Acquire(context.Background(), Info{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := Guard(context.Background(), s, GuardOptions{Lock: h, Grace: time.Second})
	defer stop()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.conn.State() != zk.StateHasSession && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-ctx.Done():
		t.Fatalf("guard fired across a quick restart: %v", context.Cause(ctx))
	case <-time.After(time.Second):
	}
	_, st, err := s.conn.Get(h.Path)
	if err != nil || st.EphemeralOwner != h.SessionID {
		t.Fatalf("lock not ours after restart: %v", err)
	}
}

func TestInfoBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxCommandBytes)
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantCut bool
	}{
		{"short", []string{"/bin/job", "-x"}, []string{"/bin/job", "-x"}, false},
		{"exactly the limit", []string{long}, []string{long}, false},
		{"one long argument", []string{"/bin/job", long}, []string{"/bin/job", long[:MaxCommandBytes-8]}, true},
		{"many arguments", append([]string{"/bin/job"}, strings.Split(strings.Repeat("x,", 5000), ",")...), nil, true},
		{"never splits a character", []string{strings.Repeat("é", MaxCommandBytes)}, []string{strings.Repeat("é", MaxCommandBytes/2)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := slices.Clone(tt.in)
			got := Info{Command: tt.in}.Bounded()
			n := 0
			for _, a := range got.Command {
				n += len(a)
			}
			if n > MaxCommandBytes || got.CommandCut != tt.wantCut || !utf8.ValidString(strings.Join(got.Command, "")) {
				t.Errorf("Bounded: %d bytes, cut %v, valid UTF-8 %v", n, got.CommandCut, utf8.ValidString(strings.Join(got.Command, "")))
			}
			if tt.want != nil && !slices.Equal(got.Command, tt.want) {
				t.Errorf("Bounded command differs from the wanted prefix (%d args, want %d)", len(got.Command), len(tt.want))
			}
			if tt.wantCut && n < MaxCommandBytes-4 {
				t.Errorf("summary %d bytes: cut too much", n)
			}
			if !slices.Equal(tt.in, orig) {
				t.Error("Bounded changed its receiver's argv")
			}
		})
	}
}

func TestDecodeInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want Info
	}{
		{"this tool's JSON", `{"host":"a.example.com","pid":12,"command":["x"]}`, Info{Host: "a.example.com", PID: 12, Command: []string{"x"}}},
		{"JSON cannot claim the original", `{"host":"a.example.com","pid":12,"original":true}`, Info{Host: "a.example.com", PID: 12}},
		{"the original's host pid", "web1.example.com 4242", Info{Host: "web1.example.com", PID: 4242, Original: true}},
		{"the original's, short host", "vm 7", Info{Host: "vm", PID: 7, Original: true}},
		{"a bare number", "0", Info{}},
		{"three words", "a b 3", Info{}},
		{"pid not a number", "host pid", Info{}},
		{"empty", "", Info{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DecodeInfo([]byte(tt.data)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeInfo(%q) = %+v, want %+v", tt.data, got, tt.want)
			}
		})
	}
}
