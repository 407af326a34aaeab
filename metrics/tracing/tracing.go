package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// ScopeName is the instrumentation scope of the spans the collector makes.
const ScopeName = "github.com/milestone-go/milestone/metrics/tracing"

// Collector is a metrics.Collector that makes spans from the events of
// runs and steps (see the package documentation). Build it with New or
// NewFromEnv; release it with Shutdown or Close. It is safe for concurrent
// use.
type Collector struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	b      *builder
	now    func() time.Time
	// ownClock is set by WithClock: every span then ends at its event's
	// instant on that clock, never at the SDK's reading of the real one.
	ownClock bool
	ignored  *metrics.Ignored
	known    []bool // by metrics.Event: declared when New ran
	st       stats

	closed    atomic.Bool
	dropped   atomic.Uint64
	panics    atomic.Uint64
	closeOnce sync.Once
	closeErr  error
}

var _ metrics.Collector = (*Collector)(nil)

// New returns a Collector exporting its spans to the exporter WithExporter
// names, through its own TracerProvider (whose IDGenerator gives each span
// the ids milestone chose, so a span's ids are the ones every sink wrote).
// It carries every event declared before it. It fails, naming the option,
// when an option is nil or invalid or no exporter is given.
func New(opts ...Option) (*Collector, error) {
	cfg := config{maxEvents: DefaultMaxEventsPerSpan, maxRuns: DefaultMaxOpenRuns}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("tracing: option %d is nil", i)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.exporter == nil {
		return nil, errors.New("tracing: New needs an exporter: give WithExporter, or use NewFromEnv")
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	}
	if cfg.syncExport {
		tpOpts = append(tpOpts, sdktrace.WithSyncer(cfg.exporter))
	} else {
		tpOpts = append(tpOpts, sdktrace.WithBatcher(cfg.exporter))
	}
	if cfg.resource != nil {
		tpOpts = append(tpOpts, sdktrace.WithResource(cfg.resource))
	}
	runctx.Activate() // spans of other tracers too are worth exemplars now
	c := &Collector{now: cfg.now, ownClock: cfg.now != nil, ignored: metrics.NewIgnored("tracing", cfg.logger)}
	if c.now == nil {
		c.now = time.Now
	}
	c.tp = sdktrace.NewTracerProvider(tpOpts...)
	c.tracer = c.tp.Tracer(ScopeName)
	c.b = newBuilder(cfg.maxEvents, cfg.maxRuns, &c.st)
	for _, d := range metrics.Descriptors() {
		for int(d.Event) >= len(c.known) {
			c.known = append(c.known, false)
		}
		c.known[d.Event] = true
	}
	return c, nil
}

// TracerProvider returns the collector's TracerProvider, for spans of the
// program's own (an HTTP server's), so that they and milestone's leave by
// one exporter.
func (c *Collector) TracerProvider() trace.TracerProvider { return c.tp }

// Emit turns the event into a span, a span event, or the end of one, from
// the identity ctx holds (see the package documentation). An event in a
// context with no span is not traced. It never blocks on the exporter
// (spans leave through a batching processor) and never panics.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if int(ev) >= len(c.known) || !c.known[ev] {
		c.ignored.Event(ev)
		return
	}
	if c.closed.Load() {
		c.dropped.Add(1)
		return
	}
	if ctx == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.panics.Add(1)
		}
	}()
	d, _ := metrics.Describe(ev)
	at := c.now()
	sp := trace.SpanFromContext(ctx)
	s, ours := sp.(*runctx.Span)
	if !ours {
		c.foreign(ctx, sp, d, &p, at)
		return
	}
	if !s.Sampled() {
		return
	}
	root, rootParent := s.RunRoot()
	id := ident{trace: s.TraceID(), span: s.SpanID(), root: root, rootParent: rootParent, run: s.RunID(), step: !s.IsRoot(),
		ctx: ctx, parentCtx: s.ParentContext()}
	id.parent, _ = s.Parent()
	// An event with a duration becomes a span at once, and the SDK copies
	// its attributes: they can come from a pool. One without is kept for
	// its span until that ends: its attributes are its own.
	var attrs []attribute.KeyValue
	_, pooled := duration(d, &p)
	if pooled {
		ap := attrPool.Get().(*[]attribute.KeyValue)
		defer func() { *ap = (*ap)[:0]; attrPool.Put(ap) }()
		attrs = *ap
	} else {
		attrs = make([]attribute.KeyValue, 0, len(d.Fields)+2)
	}
	e := evtOf(d, &p, attrs)
	if e.hasDur && id.step {
		// The first event with a duration in a step's context ends the
		// step; a later one is a child span of its own.
		id.ends = s.Claim()
	}
	var buf [2]finished
	for _, f := range c.b.add(buf[:0], id, &e, at) {
		c.export(f)
	}
}

// attrPool holds attribute slices for the events that become spans at
// once: the SDK copies a span's attributes, so the slice is free again when
// the span is handed over.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, metrics.NumSlots+metrics.StrSlots+4); return &s }}

// foreign traces an event in the context of another tracer's span (an
// HTTP server's): with a duration, a child span of it; without, an event
// of it when it records. With no sampled span, the event is not traced.
func (c *Collector) foreign(ctx context.Context, sp trace.Span, d *metrics.Descriptor, p *metrics.Payload, at time.Time) {
	sc := sp.SpanContext()
	if !sc.IsValid() || !sc.IsSampled() {
		return
	}
	dur, hasDur := duration(d, p)
	if !hasDur {
		if sp.IsRecording() {
			sp.AddEvent(d.Wire, trace.WithTimestamp(at), trace.WithAttributes(attributes(d, p)...))
		}
		return
	}
	f := finished{id: ident{trace: sc.TraceID(), parent: sc.SpanID()}, name: d.Wire, start: at.Add(-dur), end: at,
		attrs: attributes(d, p), errType: errorType(d, p), newID: true, parentCtx: ctx}
	c.export(f)
}

// export hands one finished span to the SDK.
func (c *Collector) export(f finished) {
	f.exactEnd = f.exactEnd || c.ownClock
	export(c.tracer, f)
	c.st.spans.Add(1)
}

// Flush exports every span ended so far, or returns when ctx is done.
func (c *Collector) Flush(ctx context.Context) error {
	if c == nil || c.closed.Load() {
		return nil
	}
	if err := c.tp.ForceFlush(ctx); err != nil {
		return fmt.Errorf("tracing: flush: %w", err)
	}
	return nil
}

// Close is Shutdown with a 30 s deadline.
func (c *Collector) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown stops the collector: the runs still open are exported as root
// spans in error ("not_ended", so that a run that never ended shows), then
// the TracerProvider exports what it holds and shuts down, within ctx. Only
// the first call does anything; Emit after it is ignored and counted.
func (c *Collector) Shutdown(ctx context.Context) error {
	if c == nil {
		return nil
	}
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		for _, f := range c.b.drain(c.now()) {
			c.export(f)
		}
		if err := c.tp.Shutdown(ctx); err != nil {
			c.closeErr = fmt.Errorf("tracing: shutting down the TracerProvider: %w", err)
		}
	})
	return c.closeErr
}

// The families of the tracing collector's own.
var (
	familySpans = &metrics.HealthFamily{Name: "milestone_tracing_spans_total",
		Help: "Spans the tracing collector handed to its exporter."}
	familyEventsDropped = &metrics.HealthFamily{Name: "milestone_tracing_span_events_dropped_total",
		Help: "Span events left out because their span had reached its limit (WithLimits)."}
	familyRunsEvicted = &metrics.HealthFamily{Name: "milestone_tracing_runs_evicted_total",
		Help: "Open runs forgotten, unexported, to keep the open runs within their limit (WithLimits)."}
	familyStepsUnended = &metrics.HealthFamily{Name: "milestone_tracing_steps_unended_total",
		Help: "Steps that had events but no ending event when their run ended, exported in error."}
)

// Health reports the spans exported, what the limits left out, the events
// emitted after Shutdown (milestone_events_dropped_total{sink="tracing"}),
// panics recovered and the events ignored.
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	return append(c.ignored.Health(),
		familySpans.Count(c.st.spans.Load()),
		familyEventsDropped.Count(c.st.eventsDropped.Load()),
		familyRunsEvicted.Count(c.st.runsEvicted.Load()),
		familyStepsUnended.Count(c.st.stepsUnended.Load()),
		metrics.FamilyDropped.Count(c.dropped.Load(), "tracing"),
		metrics.FamilyPanics.Count(c.panics.Load(), "tracing"))
}
