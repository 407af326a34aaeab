package explore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/runs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Limits of a page, whatever the run's size.
const (
	// MaxBars is the most bars a run's timeline draws; beyond it, the
	// siblings of one name under one parent are drawn as one bar.
	MaxBars = 400
	// MaxEvents is the most events a run's page lists: the first half and
	// the last half of them.
	MaxEvents = 400
	// RunsPerPage is the most runs the runs list shows on a page, newest
	// first; older ones are on the next pages.
	RunsPerPage = 200
)

// Server is the run explorer, an http.Handler. Build it with New.
type Server struct {
	src      runs.Source
	log      *slog.Logger
	poll     time.Duration
	tmpl     *template.Template
	static   http.Handler
	readTime time.Duration

	// model is what the source's finished runs teach of progress, learned
	// once in the background (learnOnce).
	model     atomic.Pointer[progress.Model]
	learnOnce sync.Once
}

// Option configures New.
type Option func(*Server) error

// WithLogger sets where request errors are logged (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		if l == nil {
			return errors.New("explore: WithLogger: nil logger")
		}
		s.log = l
		return nil
	}
}

// WithPoll sets how often a live page's run is checked for new events
// (default 100 ms).
func WithPoll(d time.Duration) Option {
	return func(s *Server) error {
		if d <= 0 {
			return fmt.Errorf("explore: WithPoll(%v): the interval must be positive", d)
		}
		s.poll = d
		return nil
	}
}

// New returns the explorer of src.
func New(src runs.Source, opts ...Option) (*Server, error) {
	if src == nil {
		return nil, errors.New("explore: New: nil source")
	}
	s := &Server{src: src, log: slog.Default(), poll: 100 * time.Millisecond, readTime: 2 * time.Minute}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("explore: option %d is nil", i)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("explore: templates: %w", err)
	}
	s.tmpl = t
	sub, _ := fs.Sub(staticFS, "static")
	s.static = http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return s, nil
}

// ServeHTTP routes a request: /, /runs/<id>, /runs/<id>/live, /static/….
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	path := r.URL.EscapedPath()
	switch {
	case path == "/":
		s.serveList(w, r)
	case strings.HasPrefix(path, "/static/"):
		s.static.ServeHTTP(w, r)
	case strings.HasPrefix(path, "/runs/"):
		rest := strings.TrimPrefix(path, "/runs/")
		id, live := rest, false
		if strings.HasSuffix(rest, "/live") {
			id, live = strings.TrimSuffix(rest, "/live"), true
		}
		// The id is one path element: an escaped slash or dot-dot is
		// refused with the rest by CheckID once unescaped.
		if err := runs.CheckID(unescape(id)); err != nil {
			http.Error(w, "not a run id", http.StatusNotFound)
			return
		}
		if live {
			s.serveLive(w, r, unescape(id))
			return
		}
		s.serveRun(w, r, unescape(id))
	default:
		http.NotFound(w, r)
	}
}

// unescape undoes a path element's percent-encoding; a malformed one comes
// back as it is (and fails CheckID).
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, ok := unhex(s[i+1]); ok {
				if u, ok := unhex(s[i+2]); ok {
					b.WriteByte(v<<4 | u)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// render writes template name with data, or a 500 logged once.
func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("explore_render_failed", "template", name, "error", err.Error())
	}
}

// fail answers a request whose runs could not be read (what says which:
// "the runs could not be listed", "the run could not be read"): 404 for
// a run that is not there, 504 when the source took longer than the
// read time, 500 otherwise, with the source's error (which names no
// password).
func (s *Server) fail(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, runs.ErrNotFound), errors.Is(err, runs.ErrBadID):
		http.Error(w, "no such run", http.StatusNotFound)
	case errors.Is(err, context.Canceled):
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Error("explore_read_failed", "source", s.src.String(), "error", err.Error())
		http.Error(w, what+": "+s.src.String()+" did not answer in time: "+err.Error(), http.StatusGatewayTimeout)
	default:
		s.log.Error("explore_read_failed", "source", s.src.String(), "error", err.Error())
		http.Error(w, what+": "+err.Error(), http.StatusInternalServerError)
	}
}
