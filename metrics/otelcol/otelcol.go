package otelcol

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/milestone-go/milestone/metrics"
)

// CloseTimeout bounds how long Close waits for an owned MeterProvider to
// flush and shut down. Use Shutdown to choose the deadline yourself.
const CloseTimeout = 30 * time.Second

// Collector is a metrics.Collector that records every catalog event on
// OpenTelemetry instruments. Build it with New. It is safe for concurrent use.
type Collector struct {
	events     []eventInstruments // indexed by metrics.Event
	addOpts    []metric.AddOption
	recordOpts []metric.RecordOption
	closed     atomic.Bool

	dropped  atomic.Uint64
	panics   atomic.Uint64
	reported sync.Once

	provider  metric.MeterProvider
	owned     bool
	shutdown  func(context.Context) error
	closeOnce sync.Once
	names     []string
}

// eventInstruments are the instruments one event feeds, resolved at New.
type eventInstruments struct {
	counters   []counter
	histograms []histogram
}

// counter is a counter instrument with its catalog declaration, whose
// Delta says what each event adds.
type counter struct {
	inst metric.Int64Counter
	spec *metrics.Instrument
}

// histogram is a histogram instrument with its catalog declaration, whose
// Observation says what each event records.
type histogram struct {
	inst metric.Float64Histogram
	spec *metrics.Instrument
}

type flusher interface {
	ForceFlush(context.Context) error
}

type shutdowner interface {
	Shutdown(context.Context) error
}

// InstrumentName returns the OpenTelemetry name of the catalog instrument
// named name under namespace: the catalog name without a trailing "_total",
// after namespace and a dot ("shardyfusion", "shard_writes_completed_total"
// gives "shardyfusion.shard_writes_completed"). Histogram names keep their
// unit suffix ("shardyfusion.shard_write_duration_seconds", unit "s"), so that
// the OpenTelemetry Prometheus exporter, which adds "_total" to counters and
// a unit suffix only when the name lacks it, exports exactly the catalog's
// Prometheus names.
func InstrumentName(namespace, name string) string {
	name = strings.TrimSuffix(name, "_total")
	if namespace == "" {
		return name
	}
	return namespace + "." + name
}

// New builds a Collector: one OpenTelemetry instrument per distinct
// instrument name of the catalog (metrics.Events), created on the configured
// MeterProvider under the configured meter name. Counters become
// Int64Counters, histograms Float64Histograms with unit "s" and explicit
// second-scale bucket boundaries. It returns an error naming the option when
// an option is invalid, and an error when the provider refuses an instrument.
func New(opts ...Option) (*Collector, error) {
	cfg := config{meterName: DefaultMeterName, namespace: DefaultNamespace}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("otelcol: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.buckets.CheckNames(); err != nil {
		return nil, fmt.Errorf("otelcol: WithBuckets: %w", err)
	}
	if cfg.provider == nil {
		cfg.provider = otel.GetMeterProvider()
	}
	c := &Collector{provider: cfg.provider, owned: cfg.owned, shutdown: cfg.shutdown}
	if len(cfg.attrs) > 0 {
		set := attribute.NewSet(cfg.attrs...)
		c.addOpts = []metric.AddOption{metric.WithAttributeSet(set)}
		c.recordOpts = []metric.RecordOption{metric.WithAttributeSet(set)}
	}

	meter := cfg.provider.Meter(cfg.meterName)
	type built struct {
		counter metric.Int64Counter
		hist    metric.Float64Histogram
	}
	byName := map[string]built{}
	for _, ev := range metrics.Events() {
		d, ok := metrics.Describe(ev)
		if !ok {
			continue
		}
		for int(ev) >= len(c.events) {
			c.events = append(c.events, eventInstruments{})
		}
		e := &c.events[ev]
		for i := range d.Instruments {
			spec := &d.Instruments[i]
			// The catalog's validation (at init and in metrics.Define)
			// guarantees one declaration per name, a known kind and
			// valid default buckets: the first declaration stands for all.
			b, seen := byName[spec.Name]
			if !seen {
				name := InstrumentName(cfg.namespace, spec.Name)
				if err := checkName(name); err != nil {
					return nil, fmt.Errorf("otelcol: instrument name %q (WithNamespace %q): %w", name, cfg.namespace, err)
				}
				var err error
				switch spec.Kind {
				case metrics.Counter:
					b.counter, err = meter.Int64Counter(name,
						metric.WithDescription(spec.Help),
						metric.WithUnit(spec.Unit))
				case metrics.Histogram:
					b.hist, err = meter.Float64Histogram(name,
						metric.WithDescription(spec.Help),
						metric.WithUnit(spec.Unit),
						metric.WithExplicitBucketBoundaries(cfg.buckets.For(spec)...))
				}
				if err != nil {
					return nil, fmt.Errorf("otelcol: creating instrument %q: %w", name, err)
				}
				byName[spec.Name] = b
				c.names = append(c.names, name)
			}
			switch spec.Kind {
			case metrics.Counter:
				e.counters = append(e.counters, counter{inst: b.counter, spec: spec})
			case metrics.Histogram:
				e.histograms = append(e.histograms, histogram{inst: b.hist, spec: spec})
			}
		}
	}
	return c, nil
}

// Emit records the event on the instruments the catalog says it feeds: a
// counter adds 1 or the payload value it counts, a histogram records the
// duration it observes in seconds. It allocates nothing. Events outside the
// catalog the collector was built with are ignored; after Close every event
// is ignored and counted (see Dropped). A panic inside the MeterProvider is
// recovered and counted (see Panics), never passed to the caller.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if int(ev) >= len(c.events) {
		return
	}
	if c.closed.Load() {
		c.dropped.Add(1)
		return
	}
	defer c.recoverPanic(ev)
	if ctx == nil { // a nil context must not reach the SDK
		ctx = context.Background()
	}
	e := &c.events[ev]
	for i := range e.counters {
		k := &e.counters[i]
		if d, ok := k.spec.Delta(&p); ok {
			k.inst.Add(ctx, d, c.addOpts...)
		} else if d < 0 {
			c.dropped.Add(1) // a counter cannot go down
		}
	}
	for i := range e.histograms {
		h := &e.histograms[i]
		if s, ok := h.spec.Observation(&p); ok {
			h.inst.Record(ctx, s, c.recordOpts...)
		}
	}
}

func (c *Collector) recoverPanic(ev metrics.Event) {
	if r := recover(); r != nil {
		c.panics.Add(1)
		c.reported.Do(func() {
			slog.Default().Error("otelcol: the MeterProvider panicked; further panics are counted, not logged",
				"event", ev.String(), "panic", fmt.Sprint(r))
		})
	}
}

// Dropped returns how many measurements the collector did not record: events
// emitted after Close, and negative values for a counter (a counter cannot go
// down).
func (c *Collector) Dropped() uint64 { return c.dropped.Load() }

// Panics returns how many times the MeterProvider panicked inside Emit.
func (c *Collector) Panics() uint64 { return c.panics.Load() }

// InstrumentNames returns the names of the instruments the collector
// created, in catalog order.
func (c *Collector) InstrumentNames() []string { return slices.Clone(c.names) }

// Flush makes an owned MeterProvider (see WithOwnedMeterProvider) export
// every measurement recorded so far, through its ForceFlush method, and
// returns when it is done or ctx is. For a provider passed with
// WithMeterProvider, or the global one, it does nothing: flushing belongs to
// the provider's owner. After Close it does nothing.
func (c *Collector) Flush(ctx context.Context) error {
	if !c.owned || c.closed.Load() {
		return nil
	}
	if f, ok := c.provider.(flusher); ok {
		if err := f.ForceFlush(ctx); err != nil {
			return fmt.Errorf("otelcol: flush: %w", err)
		}
	}
	return nil
}

// Close stops the collector and, when it owns its MeterProvider, shuts the
// provider down (which exports what it holds), waiting at most CloseTimeout.
// It is idempotent: later calls return nil. Emit after Close is ignored.
func (c *Collector) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown is Close with a deadline of the caller's choosing: it stops the
// collector and, when it owns its MeterProvider, shuts the provider down,
// returning when that is done or ctx is. Only the first call does anything.
func (c *Collector) Shutdown(ctx context.Context) error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.owned && c.shutdown != nil {
			if e := c.shutdown(ctx); e != nil {
				err = fmt.Errorf("otelcol: shutting down the MeterProvider: %w", e)
			}
		}
	})
	return err
}
