// Command switchman-serve serves switchman's read-only fleet dashboard and
// JSON API (package dashboard) over the prefix of a config file. It is
// internal: `switchman serve` parses the command line (its flags, help and
// errors are the operator's interface) and execs it with each flag as one
// --name=value word. It is a separate binary so that the one cron runs
// does not link net/http and the dashboard's assets.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/config"
	"github.com/acme/switchman/dashboard"
	"github.com/acme/switchman/fleet"
	"github.com/acme/switchman/lock"
)

// DefaultListen is loopback only: the dashboard shows every job's failure
// output, which is for the fleet's operators.
const DefaultListen = "127.0.0.1:9780"

// options are the helper's flags.
type options struct {
	Config, Listen, TLSCert, TLSKey, AuthFile string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr)
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(os.Stdout, "switchman-serve is the helper behind `switchman serve`: see `switchman serve --help`")
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "switchman serve: %v\n", err)
		os.Exit(exitUsage)
	case err != nil:
		fmt.Fprintf(os.Stderr, "switchman serve: %v\n", err)
		os.Exit(1)
	}
}

// exitUsage is switchman's exit status for a bad command line (sysexits'
// EX_USAGE).
const exitUsage = 64

// usageError marks a bad command line.
type usageError struct{ error }

// parse reads the words `switchman serve` hands over (its flags, each as
// --name=value). Flag errors are one line: the usage of this helper is
// `switchman serve --help`. -h returns flag.ErrHelp.
func parse(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("switchman serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Config, "config", "", "")
	fs.StringVar(&o.Listen, "listen", DefaultListen, "")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "")
	fs.StringVar(&o.TLSKey, "tls-key", "", "")
	fs.StringVar(&o.AuthFile, "basic-auth-file", "", "")
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return nil, err
	case err != nil:
		return nil, usageError{err}
	case fs.NArg() > 0:
		return nil, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	case (o.TLSCert == "") != (o.TLSKey == ""):
		return nil, usageError{errors.New("--tls-cert and --tls-key go together")}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr}).With().Timestamp().Logger().Level(zerolog.InfoLevel)
	handler, closeStore, err := dashboardFor(ctx, o, log)
	if err != nil {
		return err
	}
	defer closeStore()
	if handler, err = protect(o, handler); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	scheme := "http"
	if o.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stderr, "switchman serve: listening on %s://%s/\n", scheme, ln.Addr())
	return serve(ctx, o, ln, handler)
}

// dashboardFor connects to the config's ZooKeeper and starts the
// dashboard's watch loop; the returned func ends both.
func dashboardFor(ctx context.Context, o *options, log zerolog.Logger) (http.Handler, func(), error) {
	path, err := config.Find(o.Config, os.Getenv)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	tc, err := cfg.ClientTLS()
	if err != nil {
		return nil, nil, err
	}
	sess, err := lock.Dial(ctx, lock.Options{Servers: cfg.ZKHosts, SessionTimeout: cfg.SessionTimeout,
		ConnectTimeout: cfg.ConnectTimeout, Auth: cfg.Auth, TLS: tc, Logger: log.Level(zerolog.WarnLevel)})
	if err != nil {
		return nil, nil, err
	}
	srv := dashboard.New(fleet.New(sess, cfg.Prefix), log)
	srv.SlotSkew = cfg.SlotSkew
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Run(wctx)
	}()
	return srv.Handler(), func() {
		cancel()
		<-done
		sess.Close()
	}, nil
}

// protect adds basic auth when asked, and refuses to serve beyond loopback
// without both TLS and basic auth.
func protect(o *options, h http.Handler) (http.Handler, error) {
	if o.AuthFile != "" {
		user, pass, err := readAuthFile(o.AuthFile)
		if err != nil {
			return nil, err
		}
		h = dashboard.BasicAuth(user, pass, h)
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w", o.Listen, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && (o.AuthFile == "" || o.TLSCert == "") {
		return nil, fmt.Errorf("--listen %s is not loopback: also give --tls-cert/--tls-key and --basic-auth-file", o.Listen)
	}
	return h, nil
}

// readAuthFile reads user:password from a file only its owner can read.
func readAuthFile(path string) (string, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", "", fmt.Errorf("%s: readable by others (mode %04o): chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok || user == "" || pass == "" {
		return "", "", fmt.Errorf("%s: want one line user:password", path)
	}
	return user, pass, nil
}

// shutdownGrace bounds the wait for open requests at shutdown; the
// event streams never end on their own.
const shutdownGrace = 2 * time.Second

func serve(ctx context.Context, o *options, ln net.Listener, h http.Handler) error {
	// Requests live in ctx, so that a stop ends the event streams too.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() {
		if o.TLSCert != "" {
			errc <- hs.ServeTLS(ln, o.TLSCert, o.TLSKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return nil
}
