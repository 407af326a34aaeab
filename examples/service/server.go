package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/logctx"
)

// maxKeys bounds the keys of one /get request.
const maxKeys = 10000

func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		Registry: s.registry, // counts its own errors as promhttp_metric_handler_errors_total
		ErrorLog: slog.NewLogLogger(s.httpLog.Handler(), slog.LevelError),
		// A scraper that asks for OpenMetrics (Prometheus does) gets the
		// histograms' exemplars; one that does not, the text format 0.0.4.
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("GET /get", s.handleGet)
	mux.HandleFunc("POST /refresh", s.handleRefresh)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	if s.explorer != nil {
		// The run explorer of the writes' event logs; its links are
		// relative, so it works under any prefix.
		mux.Handle("GET /explore/", http.StripPrefix("/explore", s.explorer))
	}
	mux.HandleFunc("GET /{$}", s.handleIndex)
	return s.withRequestID(mux)
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// withRequestID binds a request_id (the client's X-Request-Id, or a new one)
// to the request's context with logctx.With, so that every line logged while
// serving the request carries it — the handler's, the reader's and this
// middleware's closing "request_completed" line. Scrapes of /metrics log at
// DEBUG, to keep the log about the service's own work.
func (s *service) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		ctx := logctx.With(r.Context(), "request_id", id, "method", r.Method, "path", r.URL.Path)
		var span trace.Span
		if s.tracer != nil && r.URL.Path != "/metrics" && r.URL.Path != "/healthz" {
			// The request's span: the reader's lookups made for it are its
			// children, and its log lines carry its trace and span ids.
			ctx, span = s.tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path),
					attribute.String("request_id", id)))
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		level := slog.LevelInfo
		if r.URL.Path == "/metrics" {
			level = slog.LevelDebug
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if span != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
			span.End()
		}
		s.httpLog.Log(ctx, level, "request_completed", "status", sw.status, "bytes", sw.bytes,
			"duration_ms", float64(time.Since(start))/float64(time.Millisecond), "remote_addr", r.RemoteAddr)
	})
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error string `json:"error"`
}

// getResult is one key's answer.
type getResult struct {
	Key   string          `json:"key"`
	Found bool            `json:"found"`
	Value json.RawMessage `json:"value,omitempty"`
}

// value returns v as JSON: itself when it is valid JSON (the demo's values
// are), else as a JSON string.
func value(v []byte) json.RawMessage {
	if json.Valid(v) {
		return v
	}
	b, _ := json.Marshal(string(v))
	return b
}

// handleGet serves GET /get?key=K: the value of K, 404 when absent. With
// several key parameters it makes one MultiGet and answers every key.
func (s *service) handleGet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reader := s.reader.Load()
	if reader == nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"the first snapshot is still being written"})
		return
	}
	keys := r.URL.Query()["key"]
	switch {
	case len(keys) == 0:
		writeJSON(w, http.StatusBadRequest, errorBody{"missing key parameter: /get?key=user:00000042"})
		return
	case len(keys) > maxKeys:
		writeJSON(w, http.StatusBadRequest, errorBody{fmt.Sprintf("at most %d keys per request", maxKeys)})
		return
	case s.readLim != nil && len(keys) > s.readLim.Burst():
		// The limiter can never grant more tokens than its burst: waiting
		// would not help, so this is the client's error, not a 429.
		logctx.Event(ctx, s.httpLog, "get_refused", "num_keys", len(keys), "burst", s.readLim.Burst(), "reason", "exceeds_burst")
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{fmt.Sprintf(
			"%d keys exceed the read rate limiter's burst of %d keys (-read-rate/10): ask for at most %d keys per request",
			len(keys), s.readLim.Burst(), s.readLim.Burst())})
		return
	}
	snap := reader.Snapshot().RunID
	if len(keys) == 1 {
		v, found, err := reader.Get(ctx, []byte(keys[0]))
		if err != nil {
			s.readFailed(w, r, err)
			return
		}
		logctx.Event(ctx, s.httpLog, "get", "key", keys[0], "found", found, "snapshot", snap)
		res := struct {
			getResult
			Snapshot string `json:"snapshot"`
		}{getResult{Key: keys[0], Found: found}, snap}
		status := http.StatusNotFound
		if found {
			res.Value = value(v)
			status = http.StatusOK
		}
		writeJSON(w, status, res)
		return
	}
	bkeys := make([][]byte, len(keys))
	for i, k := range keys {
		bkeys[i] = []byte(k)
	}
	vals, err := reader.MultiGet(ctx, bkeys)
	if err != nil {
		s.readFailed(w, r, err)
		return
	}
	res := struct {
		Snapshot string      `json:"snapshot"`
		Results  []getResult `json:"results"`
	}{Snapshot: snap, Results: make([]getResult, len(keys))}
	found := 0
	for i, v := range vals {
		res.Results[i] = getResult{Key: keys[i], Found: v != nil}
		if v != nil {
			res.Results[i].Value = value(v)
			found++
		}
	}
	logctx.Event(ctx, s.httpLog, "multi_get", "num_keys", len(keys), "found", found, "snapshot", snap)
	writeJSON(w, http.StatusOK, res)
}

func (s *service) readFailed(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	sev := logctx.Error
	if errors.Is(err, shardkv.ErrRateLimited) {
		status, sev = http.StatusTooManyRequests, logctx.Transient
	} else if errors.Is(err, shardkv.ErrClosed) {
		status, sev = http.StatusServiceUnavailable, logctx.Transient
	}
	logctx.Failure(r.Context(), s.httpLog, "get_failed", sev, err)
	writeJSON(w, status, errorBody{err.Error()})
}

// handleRefresh serves POST /refresh: the reader checks CURRENT and moves to
// a newer snapshot if there is one.
func (s *service) handleRefresh(w http.ResponseWriter, r *http.Request) {
	reader := s.reader.Load()
	if reader == nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"the first snapshot is still being written"})
		return
	}
	changed, err := reader.Refresh(r.Context())
	if err != nil {
		logctx.Failure(r.Context(), s.httpLog, "refresh_failed", logctx.Error, err)
		writeJSON(w, http.StatusInternalServerError, errorBody{err.Error()})
		return
	}
	snap := reader.Snapshot()
	logctx.Event(r.Context(), s.httpLog, "refresh", "changed", changed, "snapshot", snap.RunID)
	writeJSON(w, http.StatusOK, struct {
		Changed  bool   `json:"changed"`
		Snapshot string `json:"snapshot"`
		Rows     int64  `json:"rows"`
	}{changed, snap.RunID, snap.Rows})
}

// handleHealth serves GET /healthz: 200 once a snapshot is served.
func (s *service) handleHealth(w http.ResponseWriter, r *http.Request) {
	reader := s.reader.Load()
	if reader == nil {
		writeJSON(w, http.StatusServiceUnavailable, struct {
			Status string `json:"status"`
		}{"starting"})
		return
	}
	snap := reader.Snapshot()
	writeJSON(w, http.StatusOK, struct {
		Status   string `json:"status"`
		Snapshot string `json:"snapshot"`
		Rows     int64  `json:"rows"`
		Shards   int    `json:"num_shards"`
	}{"ok", snap.RunID, snap.Rows, snap.NumShards})
}

func (s *service) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `milestone demo service
  GET  /metrics              Prometheus metrics (shardyfusion_*, go_*, process_*)
  GET  /get?key=user:00000042  a value as JSON; repeat key= for a multi-get
  POST /refresh              pick up the newest snapshot
  GET  /healthz              200 once a snapshot is served
  GET  /explore/             the run explorer: every write's timeline, profile and events
`)
}
