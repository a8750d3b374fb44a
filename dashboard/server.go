package dashboard

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/acme/switchman/fleet"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.New("index.html").Funcs(template.FuncMap{
	"timeline":  newTimeline,
	"durations": newDurations,
	"duration":  duration,
	"when":      when,
}).ParseFS(assets, "assets/index.html"))

// refreshEvery re-reads the fleet even without a watch event: heartbeats
// are rewritten in place, which the watches do not follow, and a minute
// is far finer than their ten-minute rhythm.
const refreshEvery = time.Minute

// Server serves the dashboard of one store. Create it with New, run its
// watch loop with Run, and serve its Handler.
type Server struct {
	store *fleet.Store
	log   zerolog.Logger
	// SlotSkew is the config's slot_skew, which judges slots missed (0:
	// slot.DefaultSkew). Set it before Run.
	SlotSkew time.Duration

	mu      sync.Mutex
	current *Fleet
	err     error
	gen     int64
	changed chan struct{} // closed and replaced at each new snapshot
}

// New returns a dashboard over store; log receives read errors.
func New(store *fleet.Store, log zerolog.Logger) *Server {
	return &Server{store: store, log: log, changed: make(chan struct{})}
}

// Run keeps the snapshot current until ctx is done: it reads the fleet,
// then waits for a ZooKeeper watch to fire (or refreshEvery), and again.
// A failed read is kept for the handlers to report and retried.
func (s *Server) Run(ctx context.Context) error {
	var names []string // the jobs the watches cover
	for ctx.Err() == nil {
		// Watches first, then the read: a change in between fires.
		wait, err := s.store.Watch(names)
		var f *Fleet
		if err == nil {
			f, err = read(s.store, s.SlotSkew)
		}
		s.publish(f, err)
		if err != nil {
			s.log.Warn().Err(err).Msg("read the fleet")
			wctx, cancel := context.WithTimeout(ctx, refreshEvery)
			<-wctx.Done() // ZooKeeper trouble: retry after the refresh period
			cancel()
			continue
		}
		if seen := jobNames(f); !slices.Equal(seen, names) {
			names = seen // a job appeared or went: watch its history too
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, refreshEvery)
		_ = wait(wctx) // a fired watch, the refresh period, or the end
		cancel()
	}
	return context.Cause(ctx)
}

// jobNames lists f's jobs by name, in f's order.
func jobNames(f *Fleet) []string {
	names := make([]string, 0, len(f.Jobs))
	for _, j := range f.Jobs {
		names = append(names, j.Name)
	}
	return names
}

func (s *Server) publish(f *Fleet, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.current = f
	}
	s.err = err
	s.gen++
	close(s.changed)
	s.changed = make(chan struct{})
}

// snapshot returns the current fleet, its generation and a channel closed
// at the next one.
func (s *Server) snapshot() (*Fleet, error, int64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil && s.err == nil {
		return nil, errors.New("dashboard: fleet not read yet"), s.gen, s.changed
	}
	return s.current, s.err, s.gen, s.changed
}

// Handler returns the dashboard's routes: the page at /, the JSON API
// under /api/ (fleet, jobs/NAME, events) and the embedded assets.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /api/fleet", s.serveFleet)
	mux.HandleFunc("GET /api/jobs/{name}", s.serveJob)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	return mux
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	f, err, _, _ := s.snapshot()
	if f == nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, struct {
		*Fleet
		Stale error
	}{f, err}); err != nil {
		s.log.Warn().Err(err).Msg("render the page")
	}
}

func (s *Server) serveFleet(w http.ResponseWriter, r *http.Request) {
	f, err, _, _ := s.snapshot()
	if f == nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, f)
}

func (s *Server) serveJob(w http.ResponseWriter, r *http.Request) {
	f, err, _, _ := s.snapshot()
	if f == nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	for _, j := range f.Jobs {
		if j.Name == r.PathValue("name") {
			writeJSON(w, j)
			return
		}
	}
	http.Error(w, "no such job", http.StatusNotFound)
}

// serveEvents streams server-sent events: the snapshot's generation now
// and at every change, which the page answers by reloading.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for {
		_, _, gen, next := s.snapshot()
		if _, err := fmt.Fprintf(w, "data: %d\n\n", gen); err != nil {
			return
		}
		flusher.Flush()
		select {
		case <-next:
		case <-r.Context().Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// when formats a time for the page; the zero time is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}

// BasicAuth wraps h so that every request must carry user and password
// (compared in constant time).
func BasicAuth(user, password string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="switchman", charset="UTF-8"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
