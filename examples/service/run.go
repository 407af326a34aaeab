package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/clickhouse"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/otelcol/otlpenv"
	"github.com/milestone-go/milestone/metrics/progress"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/selfmetrics"
	"github.com/milestone-go/milestone/metrics/tracing"
	"github.com/milestone-go/milestone/runs"
	"github.com/milestone-go/milestone/runs/explore"
)

// config holds the command line.
type config struct {
	data         string
	events       string
	addr         string
	logFormat    string
	otlp         bool
	progress     bool
	clickhouse   string
	rows         int
	shards       int
	batch        int
	writeRate    float64
	readRate     float64
	rewriteEvery time.Duration
	refreshEvery time.Duration
	readEvery    time.Duration
	faults       bool
	keep         int
	eventsKeep   int
	eventsMaxAge time.Duration
	eventsMaxMB  int
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "./data", "directory of the snapshots")
	fs.StringVar(&c.events, "events", "", "directory of the per-write event logs (default <data>/events)")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:9464", "address to serve on (port 0 picks a free port)")
	fs.StringVar(&c.logFormat, "log-format", "flat", "JSON log format on stdout: flat or ecs")
	fs.BoolVar(&c.progress, "progress", false, "draw each write's progress on stderr: a live line with its percentage and ETA on a terminal, a line every few seconds elsewhere")
	fs.BoolVar(&c.otlp, "otlp", false, "also export metrics and traces over OTLP, configured by the OTEL_* environment variables")
	fs.StringVar(&c.clickhouse, "clickhouse", os.Getenv(clickhouse.EnvURL),
		"also insert every event into ClickHouse at this URL (several, comma-separated: the next takes over when one fails), creating the table when missing (default $"+clickhouse.EnvURL+"; user, password, database and table from the other MILESTONE_CLICKHOUSE_* variables)")
	fs.IntVar(&c.rows, "rows", 200000, "rows in each demo snapshot")
	fs.IntVar(&c.shards, "shards", 8, "shards in each demo snapshot")
	fs.IntVar(&c.batch, "batch", 1000, "rows per write batch")
	fs.Float64Var(&c.writeRate, "write-rate", 500000, "rows written per second at most (0: no limit)")
	fs.Float64Var(&c.readRate, "read-rate", 5000, "keys read per second at most; more get 429 (0: no limit)")
	fs.DurationVar(&c.rewriteEvery, "rewrite", 30*time.Second, "re-write the snapshot this often (0: never)")
	fs.DurationVar(&c.refreshEvery, "refresh", 5*time.Second, "refresh the reader this often (0: no timed refresh; every re-write and POST /refresh still refresh it)")
	fs.DurationVar(&c.readEvery, "read-every", 200*time.Millisecond, "background lookups this often (0: none)")
	fs.BoolVar(&c.faults, "faults", true, "inject transient storage faults into the writes, so the retry metrics move")
	fs.IntVar(&c.keep, "keep", 2, "snapshots kept on disk")
	fs.IntVar(&c.eventsKeep, "events-keep", 500, "event-log runs kept (0: no limit); the oldest closed runs are removed")
	fs.DurationVar(&c.eventsMaxAge, "events-max-age", 7*24*time.Hour, "remove event-log runs older than this (0: no limit)")
	fs.IntVar(&c.eventsMaxMB, "events-max-mb", 512, "keep the event-log directory under this many MiB (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.events == "" {
		c.events = filepath.Join(c.data, "events")
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.logFormat != "flat" && c.logFormat != "ecs":
		return nil, fmt.Errorf("-log-format must be flat or ecs, got %q", c.logFormat)
	case c.rows < 1:
		return nil, fmt.Errorf("-rows must be >= 1, got %d", c.rows)
	case c.shards < 1:
		return nil, fmt.Errorf("-shards must be >= 1, got %d", c.shards)
	case c.batch < 1:
		return nil, fmt.Errorf("-batch must be >= 1, got %d", c.batch)
	case c.writeRate < 0:
		return nil, fmt.Errorf("-write-rate must not be negative, got %v", c.writeRate)
	case c.readRate < 0:
		return nil, fmt.Errorf("-read-rate must not be negative, got %v", c.readRate)
	case c.rewriteEvery < 0 || c.refreshEvery < 0 || c.readEvery < 0:
		return nil, errors.New("-rewrite, -refresh and -read-every must not be negative")
	case c.keep < 1:
		return nil, fmt.Errorf("-keep must be >= 1, got %d", c.keep)
	case c.eventsKeep < 0 || c.eventsMaxAge < 0 || c.eventsMaxMB < 0:
		return nil, errors.New("-events-keep, -events-max-age and -events-max-mb must not be negative")
	}
	return c, nil
}

// service is the running demo.
type service struct {
	cfg *config
	// collector feeds the metrics backends; writeCollector also the event
	// log, which keeps one file per write. The reader's events stay out of
	// it: the reader is one run as long as the service, with a line per
	// lookup.
	collector      metrics.Collector
	writeCollector metrics.Collector
	registry       *prometheus.Registry
	log            *slog.Logger // shardyfusion.service
	httpLog        *slog.Logger // shardyfusion.http
	writeLim       *shardkv.Limiter
	tracer         trace.Tracer // with -otlp, for the HTTP requests' spans
	readLim        *shardkv.Limiter
	explorer       http.Handler // the run explorer of the event logs (runs/explore)

	reader atomic.Pointer[shardkv.Reader] // nil until the first snapshot is open
	gen    atomic.Int64                   // generation of the newest snapshot written
}

// run is the whole program: main only adds the signal handling. It returns
// when ctx is cancelled (after a clean shutdown) or on a fatal error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logHandler, err := setupLogging(cfg.logFormat, stdout)
	if err != nil {
		return err
	}
	s := &service{cfg: cfg, log: logctx.Logger("service"), httpLog: logctx.Logger("http")}

	// Metrics: the prom collector on its own registry, with the Go runtime
	// and process collectors; the OTel collector too with -otlp.
	s.registry = prometheus.NewRegistry()
	if err := s.registry.Register(collectors.NewGoCollector()); err != nil {
		return err
	}
	if err := s.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return err
	}
	pc, err := prom.New(prom.WithRegisterer(s.registry))
	if err != nil {
		return err
	}
	s.collector = pc
	if cfg.otlp {
		oc, err := otlpenv.NewCollector(ctx)
		if err != nil {
			return fmt.Errorf("-otlp: %w", err)
		}
		// Traces too: every write is a trace, and the HTTP requests are
		// spans, the parents of the reader's lookups.
		tc, err := tracing.NewFromEnv(ctx, tracing.WithLogger(logctx.Logger("tracing")))
		if err != nil {
			return fmt.Errorf("-otlp: %w", err)
		}
		s.tracer = tc.TracerProvider().Tracer("milestone-demo/http")
		s.collector = metrics.Multi(s.collector, oc, tc)
	}
	if cfg.clickhouse != "" {
		ch, err := clickhouse.New(clickhouse.WithURL(cfg.clickhouse), clickhouse.WithCreateTable(),
			clickhouse.WithService("milestone-demo"), clickhouse.WithLogger(logctx.Logger("clickhouse")))
		if err != nil {
			return fmt.Errorf("-clickhouse: %w", err)
		}
		s.collector = metrics.Multi(s.collector, ch)
		s.log.Info("clickhouse_enabled", "server", ch.Target(), "table", ch.Table())
	}
	ev, err := eventlog.New(eventlog.WithDir(cfg.events), eventlog.WithLogger(logctx.Logger("eventlog")),
		eventlog.WithRetention(eventlog.Retention{MaxRuns: cfg.eventsKeep, MaxAge: cfg.eventsMaxAge, MaxBytes: int64(cfg.eventsMaxMB) << 20}))
	if err != nil {
		return fmt.Errorf("-events: %w", err)
	}
	s.writeCollector = metrics.Multi(s.collector, ev)
	if cfg.progress {
		// Every write's; closed with the write collector, when the service
		// stops.
		s.writeCollector = metrics.Multi(s.writeCollector, progress.NewLine(stderr))
	}
	if s.explorer, err = explore.New(runs.Dir(cfg.events), explore.WithLogger(logctx.Logger("explore"))); err != nil {
		return err
	}
	// milestone's own health (drops, losses, write errors, panics, invalid
	// values, label overflows, ignored events) joins /metrics as
	// milestone_* families: every collector of the write path, and the log
	// handler.
	if err := selfmetrics.Register(s.registry, s.writeCollector, logHandler); err != nil {
		return err
	}
	// The collectors are flushed before the last line (service_stopped or
	// service_failed), so that a failure to flush is logged before it; an
	// early return flushes them too.
	flushed := false
	defer func() {
		if !flushed {
			sctx, cancel := shutdownContext(ctx)
			defer cancel()
			s.flushCollectors(sctx)
		}
	}()

	if cfg.writeRate > 0 {
		if s.writeLim, err = shardkv.NewLimiter(cfg.writeRate, 2*cfg.batch, 0); err != nil {
			return fmt.Errorf("-write-rate: %w", err)
		}
	}
	if cfg.readRate > 0 {
		burst := max(1, int(cfg.readRate/10))
		if s.readLim, err = shardkv.NewLimiter(cfg.readRate, burst, 50*time.Millisecond); err != nil {
			return fmt.Errorf("-read-rate: %w", err)
		}
	}

	// Listen first, so the address is known (and /metrics shows the first
	// write's progress); /get answers 503 until the snapshot is open.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := s.httpServer(ctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stderr, "service: listening on %s (/metrics, /get?key=user:00000042, POST /refresh, /explore/)\n", url)
	fmt.Fprintf(stderr, "service: one event log per write under %s (go run ./cmd/milestone runs %s)\n", cfg.events, cfg.events)
	logctx.Event(ctx, s.log, "service_listening", "addr", ln.Addr().String(), "url", url, "data", cfg.data, "events", cfg.events,
		"rows", cfg.rows, "num_shards", cfg.shards, "log_format", cfg.logFormat, "otlp", cfg.otlp)

	var loops sync.WaitGroup
	lctx, stopLoops := context.WithCancel(ctx)
	err = s.start(lctx, &loops, stderr)

	// Shut down within StopBudget, or at once on a second signal: stop the
	// loops, drain the requests, close the reader, and shut the collectors
	// down.
	sctx, cancel := shutdownContext(ctx)
	defer cancel()
	stopLoops()
	waitOrDone(sctx, loops.Wait)
	if serr := srv.Shutdown(sctx); serr != nil {
		logctx.Failure(ctx, s.log, "http_shutdown_failed", logctx.Error, serr)
	}
	if serr := <-serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if r := s.reader.Swap(nil); r != nil {
		if cerr := r.Close(); cerr != nil {
			logctx.Failure(ctx, s.log, "reader_close_failed", logctx.Error, cerr)
		}
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // interrupted during the first write: a clean stop
	}
	s.flushCollectors(sctx)
	flushed = true
	if err != nil {
		logctx.Failure(ctx, s.log, "service_failed", logctx.Critical, err)
	} else {
		logctx.Event(ctx, s.log, "service_stopped")
	}
	return err
}

// Timeouts of the HTTP server, as a public Go server should have them: a
// client that sends its headers slowly, a body slowly, reads slowly or
// keeps an idle connection cannot hold a goroutine and a socket for ever.
var serverTimeouts = struct {
	readHeader, read, write, idle time.Duration
}{readHeader: 10 * time.Second, read: 30 * time.Second, write: 60 * time.Second, idle: 2 * time.Minute}

// maxHeaderBytes bounds a request's headers.
const maxHeaderBytes = 64 << 10

// httpServer returns the service's server, with its timeouts.
func (s *service) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: serverTimeouts.readHeader,
		ReadTimeout:       serverTimeouts.read,
		WriteTimeout:      serverTimeouts.write,
		IdleTimeout:       serverTimeouts.idle,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(s.httpLog.Handler(), slog.LevelWarn),
	}
}

// start writes and opens the first snapshot, starts the background loops,
// and waits until ctx is done.
func (s *service) start(ctx context.Context, loops *sync.WaitGroup, stderr io.Writer) error {
	// On a terminal, the first write's progress is drawn (every write's
	// with -progress).
	var line *progress.Line
	if progress.IsTerminal(stderr) && !s.cfg.progress {
		line = progress.NewLine(stderr)
	}
	if err := s.writeSnapshot(ctx, line); err != nil {
		return fmt.Errorf("first snapshot: %w", err)
	}
	r, err := shardkv.Open(ctx, s.cfg.data, shardkv.ReadOptions{Collector: s.collector, RateLimit: s.readLim})
	if err != nil {
		return err
	}
	s.reader.Store(r)
	logctx.Event(ctx, s.log, "service_ready", "snapshot", r.Snapshot().RunID, "rows", r.Snapshot().Rows)

	bctx := logctx.With(ctx, "loop", "background")
	if s.cfg.readEvery > 0 {
		loops.Add(1)
		go func() { defer loops.Done(); s.readLoop(bctx) }()
	}
	if s.cfg.rewriteEvery > 0 {
		loops.Add(1)
		go func() { defer loops.Done(); every(bctx, s.cfg.rewriteEvery, func() { s.rewrite(bctx) }) }()
	}
	if s.cfg.refreshEvery > 0 {
		loops.Add(1)
		go func() { defer loops.Done(); every(bctx, s.cfg.refreshEvery, func() { s.refresh(bctx) }) }()
	}
	<-ctx.Done()
	return nil
}

// flushCollectors flushes and closes the collectors that buffer (the event
// log, and the OTel one), so the last events are written and exported
// before the process ends.
func (s *service) flushCollectors(ctx context.Context) {
	if err := metrics.Shutdown(ctx, s.writeCollector); err != nil {
		logctx.Failure(ctx, s.log, "metrics_flush_failed", logctx.Error, err)
	}
}

// StopBudget bounds the shutdown after the first signal: the loops, the
// HTTP server's draining, the reader and the collectors' shutdown share it,
// so that the service stops within 5 s whatever state its exporters are in
// (a dead OTLP endpoint, say).
const StopBudget = 4 * time.Second

// hardStopKey is the context key of the channel a second signal closes.
type hardStopKey struct{}

// withHardStop returns ctx carrying hard, closed by a second signal: the
// shutdown then ends at once.
func withHardStop(ctx context.Context, hard <-chan struct{}) context.Context {
	return context.WithValue(ctx, hardStopKey{}, hard)
}

// shutdownContext returns the context the shutdown runs in, which outlives
// ctx's cancellation: done StopBudget from now, or at once when the channel
// of withHardStop is closed.
func shutdownContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), StopBudget)
	if hard, ok := ctx.Value(hardStopKey{}).(<-chan struct{}); ok {
		go func() {
			select {
			case <-hard:
				cancel()
			case <-sctx.Done():
			}
		}()
	}
	return sctx, cancel
}

// waitOrDone runs wait and returns when it does or when ctx is done.
func waitOrDone(ctx context.Context, wait func()) {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
