package zktest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// startTimeout bounds the wait for a single server to serve. A JVM starts
	// ZooKeeper in about a second on an idle machine; 30s absorbs a 2-core
	// machine shared with builds and other test binaries.
	startTimeout = 30 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
	// ZooKeeper's shutdown hook closes its sockets and logs in well under a
	// second; the rest is margin for a loaded machine.
	stopGrace = 10 * time.Second
	// killWait bounds the wait after SIGKILL, which cannot be caught; it only
	// guards against a process stuck in the kernel.
	killWait = 10 * time.Second
	// stopWait bounds Pause's wait for every thread of the JVM to stop.
	stopWait = 10 * time.Second
	// modeTimeout bounds one `srvr` query in Mode, Leader and Followers. A
	// paused server never answers, so this is also what querying it costs.
	modeTimeout = 2 * time.Second
	// bindAttempts is how many times a start is retried with fresh ports when
	// another process grabbed a port between our probe and the JVM's bind.
	bindAttempts = 3
	// logTailLines is how much of zk.log a failed start reports.
	logTailLines = 30

	cfgName = "zoo.cfg"
	logName = "zk.log"
)

// Server is one ZooKeeper server process (a JVM) with its directory and
// ports. The ports and directory stay fixed for the Server's life, so Start
// after Stop or Kill brings back the same server with the same data.
// Methods are safe for concurrent use; Start, Stop, Kill, Pause and Resume
// are serialised.
type Server struct {
	// ID is the server's myid: 1..n in an ensemble, 1 for a single server.
	ID int
	// Addr is the client address, "127.0.0.1:PORT".
	Addr string
	// Dir is the server's own directory holding zoo.cfg, data/ and zk.log.
	Dir string

	opts    Options
	cfgPath string

	op   sync.Mutex // serialises Start/Stop/Kill/Pause/Resume
	mu   sync.Mutex // guards proc
	proc *proc      // the current or last JVM; nil before the first start
}

// StartServer starts a standalone server on a free 127.0.0.1 port with a new
// temporary directory and returns once it serves clients (at most ~30s). On
// failure nothing is left running or on disk, and the error includes the
// tail of the JVM's log. The caller owns the server and must call Close (or
// Stop, to keep Dir).
func StartServer(opts Options) (*Server, error) {
	return startFresh(opts, startServerOnce)
}

// startFresh validates opts, makes sure ZooKeeper is installed and runs
// start, again with fresh ports when another process took one of the
// ports between their choice and the JVM's bind.
func startFresh[T any](opts Options, start func(Options) (T, error)) (T, error) {
	var zero T
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return zero, err
	}
	if err := EnsureInstalled(); err != nil {
		return zero, err
	}
	var err error
	for range bindAttempts {
		var v T
		if v, err = start(opts); err == nil {
			return v, nil
		}
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return zero, err
}

// startServerOnce makes one attempt of StartServer with fresh ports.
func startServerOnce(opts Options) (*Server, error) {
	members, err := newMembers(1)
	if err != nil {
		return nil, err
	}
	var peers []member // standalone
	if opts.LocalSessions {
		peers = members // a quorum of one
	}
	dir, err := os.MkdirTemp("", "zktest-")
	if err != nil {
		return nil, fmt.Errorf("create server directory: %w", err)
	}
	s, err := newServer(dir, opts, members[0], peers)
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// newServer prepares dir (zoo.cfg, data/, data/myid for ensembles) for self
// and returns the not yet started Server.
func newServer(dir string, opts Options, self member, peers []member) (*Server, error) {
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if quorum(opts, peers) {
		myid := filepath.Join(dataDir, "myid")
		if err := os.WriteFile(myid, []byte(strconv.Itoa(self.id)+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("write myid: %w", err)
		}
	}
	cfg := filepath.Join(dir, cfgName)
	if err := os.WriteFile(cfg, []byte(renderConfig(opts, dataDir, self, peers)), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfgName, err)
	}
	return &Server{
		ID:      self.id,
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(self.clientPort)),
		Dir:     dir,
		opts:    opts,
		cfgPath: cfg,
	}, nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. All listeners are
// held open until every port is chosen so that no port is handed out twice;
// another process may still take one before the JVM binds it (callers retry).
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// current returns the current or last process, or nil.
func (s *Server) current() *proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// PID returns the JVM's process id, or 0 if the server is not running.
func (s *Server) PID() int {
	if p := s.current(); p != nil && !p.exited() {
		return p.pid()
	}
	return 0
}

// Running reports whether the JVM is alive (a paused server is running).
func (s *Server) Running() bool {
	p := s.current()
	return p != nil && !p.exited()
}

// Start (re)starts a stopped or killed server on the same ports and data
// directory and returns once it serves clients (for an ensemble member: once
// it has joined a quorum), at most ~30s. It returns ErrRunning if the server
// is running. On failure the new JVM is killed and the error includes the
// tail of zk.log.
func (s *Server) Start() error {
	s.op.Lock()
	defer s.op.Unlock()
	if s.Running() {
		return fmt.Errorf("%w: server %d (pid %d)", ErrRunning, s.ID, s.PID())
	}
	p, logOff, err := s.launch()
	if err != nil {
		return err
	}
	timeout := startTimeout
	if s.opts.StartTimeout > 0 {
		timeout = s.opts.StartTimeout
	}
	return s.awaitServing(p, logOff, timeout)
}

// launch starts the JVM without waiting for it to serve. It returns the
// process and the offset in zk.log where this run's output begins.
func (s *Server) launch() (*proc, int64, error) {
	java, err := javaPath()
	if err != nil {
		return nil, 0, err
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", logName, err)
	}
	logOff, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		_ = logf.Close()
		return nil, 0, fmt.Errorf("seek %s: %w", logName, err)
	}
	cmd := exec.Command(java, jvmArgs(s.cfgPath)...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if s.opts.Stdout != nil {
		cmd.Stdout = io.MultiWriter(logf, s.opts.Stdout)
		cmd.Stderr = cmd.Stdout
		// Output now flows through a pipe and a copying goroutine; bound the
		// wait for the pipe to drain once the JVM has exited.
		cmd.WaitDelay = time.Second
	}
	p, err := startProc(cmd)
	if err != nil {
		_ = logf.Close()
		return nil, 0, fmt.Errorf("start %s: %w", java, err)
	}
	// The JVM holds its own copy of the descriptor (or the copier needs ours
	// until the process is gone).
	go func() { <-p.done; _ = logf.Close() }()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return p, logOff, nil
}

// awaitServing waits until the server serves or p exits or timeout passes;
// on failure it kills p and returns an error with the log tail.
func (s *Server) awaitServing(p *proc, logOff int64, timeout time.Duration) error {
	err := waitServing(s.Addr, timeout, p.done)
	if err == nil {
		return nil
	}
	_ = p.signal(syscall.SIGKILL)
	if p.waitFor(killWait) && errors.Is(err, ErrExited) {
		err = fmt.Errorf("%w (%v)", err, p.waitErr) // e.g. "exit status 2" for a bad zoo.cfg
	}
	out := s.logSince(logOff)
	if strings.Contains(out, "Address already in use") {
		err = fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return fmt.Errorf("start zookeeper server %d on %s (dir %s): %w; %s tail:\n%s",
		s.ID, s.Addr, s.Dir, err, logName, lastLines([]byte(out), logTailLines))
}

// logSince returns zk.log from offset off (at most the last 1MB of it).
func (s *Server) logSince(off int64) string {
	const max = 1 << 20
	f, err := os.Open(filepath.Join(s.Dir, logName))
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", logName, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-off > max {
		off = fi.Size() - max
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, max))
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", logName, err)
	}
	return string(b)
}

// LogTail returns the last n lines of the server's zk.log (all runs), for
// diagnosing a failed test.
func (s *Server) LogTail(n int) string {
	return lastLines([]byte(s.logSince(0)), n)
}

// Stop stops the server: SIGTERM (plus SIGCONT, so a paused JVM gets it),
// up to 10s for a clean exit, then SIGKILL. It returns nil if the server is
// not running, and an error only if the process survives SIGKILL. The ports
// and directory are kept for Start.
func (s *Server) Stop() error {
	return s.onRunning(nil, func(p *proc) error {
		if err := p.signal(syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop server %d (pid %d): %w", s.ID, p.pid(), err)
		}
		// A stopped process keeps SIGTERM pending until it continues.
		_ = p.signal(syscall.SIGCONT)
		if p.waitFor(stopGrace) {
			return nil
		}
		return s.kill(p)
	})
}

// Kill sends SIGKILL to the JVM and waits for it to exit (no clean shutdown:
// what a crash or OOM kill looks like to clients). It returns nil if the
// server is not running. The ports and directory are kept for Start.
func (s *Server) Kill() error {
	return s.onRunning(nil, s.kill)
}

// onRunning calls f with the live JVM, holding s.op; when the server is not
// running it returns notRunning instead.
func (s *Server) onRunning(notRunning error, f func(p *proc) error) error {
	s.op.Lock()
	defer s.op.Unlock()
	p := s.current()
	if p == nil || p.exited() {
		return notRunning
	}
	return f(p)
}

// kill sends SIGKILL to p and waits (bounded) for it.
func (s *Server) kill(p *proc) error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill server %d (pid %d): %w", s.ID, p.pid(), err)
	}
	if !p.waitFor(killWait) {
		return fmt.Errorf("kill server %d (pid %d): still running %v after SIGKILL", s.ID, p.pid(), killWait)
	}
	return nil
}

// Pause freezes the JVM with SIGSTOP: its sockets stay open but nothing is
// answered, like a hung host or a long GC pause. It returns once every
// thread of the JVM is stopped (a signal's effect is not instant: a thread
// busy on a CPU stops when it is next scheduled), or ErrNotRunning if the
// server is not running.
func (s *Server) Pause() error {
	return s.sendRunning(syscall.SIGSTOP, func(p *proc) error {
		if !p.waitStopped(stopWait) {
			return fmt.Errorf("pause server %d (pid %d): not stopped %v after SIGSTOP", s.ID, p.pid(), stopWait)
		}
		return nil
	})
}

// Resume continues a paused JVM with SIGCONT. It returns ErrNotRunning if
// the server is not running; resuming a server that is not paused is a no-op.
func (s *Server) Resume() error {
	return s.sendRunning(syscall.SIGCONT, nil)
}

// sendRunning sends sig to the running JVM, then runs settle (if any) on
// it, or returns ErrNotRunning.
func (s *Server) sendRunning(sig syscall.Signal, settle func(p *proc) error) error {
	return s.onRunning(fmt.Errorf("%w: server %d", ErrNotRunning, s.ID), func(p *proc) error {
		if err := p.signal(sig); err != nil {
			return fmt.Errorf("signal %v to server %d (pid %d): %w", sig, s.ID, p.pid(), err)
		}
		if settle != nil {
			return settle(p)
		}
		return nil
	})
}

// Mode asks the server with `srvr` (at most 2s) and returns its mode:
// "standalone", "leader" or "follower" ("observer" is not configured). A
// server that is down, paused or outside a quorum gives an error wrapping
// ErrNotServing.
func (s *Server) Mode() (string, error) {
	return mode(s.Addr, modeTimeout)
}

// Close stops the server and removes its directory. The Server cannot be
// started again afterwards.
func (s *Server) Close() error {
	err := s.Stop()
	if rmErr := os.RemoveAll(s.Dir); rmErr != nil && err == nil {
		err = fmt.Errorf("remove %s: %w", s.Dir, rmErr)
	}
	return err
}
