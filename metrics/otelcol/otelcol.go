package otelcol

import (
	"context"
	"errors"
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

// Collector is a metrics.Collector that records the events of every catalog
// it carries on OpenTelemetry instruments. Build it with New. It is safe for concurrent
// use.
type Collector struct {
	events   [][]instrument // indexed by metrics.Event; nil when not carried
	counters []*counter
	ignored  *metrics.Ignored
	logger   *slog.Logger
	closed   atomic.Bool
	invalid  atomic.Uint64

	dropped  atomic.Uint64
	panics   atomic.Uint64
	reported sync.Once

	provider  metric.MeterProvider
	owned     bool
	shutdown  func(context.Context) error
	closeOnce sync.Once
	names     []string
}

// instrument is one instrument one event feeds, resolved at New: a counter
// or a histogram, with its declaration and its attribute sets.
type instrument struct {
	counter *counter
	hist    metric.Float64Histogram
	spec    *metrics.Instrument
	attrs   *attrSets
	val     *metrics.Field // the field added or observed; nil for a count
	cond    *metrics.Field // the bool condition, or nil
	want    bool           // the value cond must have
	// sameLabels is set when the instrument has the labels of the one
	// before it in the event, whose attribute set it reuses (instruments
	// with the same labels share their attrSets).
	sameLabels bool
}

// attrSets holds the measurement options of the instruments with one set
// of labels: one set without labels, one per label combination (created on
// first use) with them. The const attributes of WithAttributes are in every
// set. spec is the first of those instruments, whose label values and
// names every one of them shares.
type attrSets struct {
	spec     *metrics.Instrument
	constant []attribute.KeyValue
	byIndex  []atomic.Pointer[measureOpts]
}

// measureOpts are the prebuilt options of one attribute set, so that a
// histogram's Record and the counters' observations allocate nothing.
type measureOpts struct {
	record  []metric.RecordOption
	observe []metric.ObserveOption
}

func newMeasureOpts(kvs []attribute.KeyValue) *measureOpts {
	if len(kvs) == 0 {
		return &measureOpts{}
	}
	set := attribute.NewSet(kvs...)
	return &measureOpts{
		record:  []metric.RecordOption{metric.WithAttributeSet(set)},
		observe: []metric.ObserveOption{metric.WithAttributeSet(set)},
	}
}

// get returns the options of label combination i, creating them on first
// use.
func (a *attrSets) get(i int) *measureOpts {
	if o := a.byIndex[i].Load(); o != nil {
		return o
	}
	return a.create(i)
}

// create builds the options of label combination i on first use.
func (a *attrSets) create(i int) *measureOpts {
	kvs := slices.Clone(a.constant)
	for j, v := range a.spec.SeriesLabels(i) {
		kvs = append(kvs, attribute.String(a.spec.LabelFields()[j].Name, v))
	}
	o := newMeasureOpts(kvs)
	a.byIndex[i].Store(o)
	return o
}

type flusher interface {
	ForceFlush(context.Context) error
}

type shutdowner interface {
	Shutdown(context.Context) error
}

// InstrumentName returns the OpenTelemetry name of the catalog instrument
// named name under namespace: the catalog name without its unit suffix
// ("_total" for a counter, "_seconds" for a histogram), after namespace and a
// dot: "shardyfusion" and "shard_writes_completed_total" give
// "shardyfusion.shard_writes_completed", "shard_write_duration_seconds" gives
// "shardyfusion.shard_write_duration" (unit "s"). OpenTelemetry keeps units
// out of names; its Prometheus exporter adds "_total" to counters and
// "_seconds" for unit "s", so it exports exactly the catalog's Prometheus
// names.
func InstrumentName(namespace, name string) string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, "_total"), "_seconds")
	if namespace == "" {
		return name
	}
	return namespace + "." + name
}

// New builds a Collector for every catalog declared before it (WithCatalog
// narrows them): for each catalog, a meter named after its namespace
// (WithMeterName sets another when the collector carries one catalog) and
// one OpenTelemetry instrument per distinct instrument name, named
// "namespace.name" (see InstrumentName). Counters become
// Int64ObservableCounters that the collector counts for (see the package
// documentation), histograms Float64Histograms with unit "s" and explicit
// second-scale bucket boundaries; labels become attributes. It returns an
// error naming the option when an option is invalid, and an error when the
// provider refuses an instrument.
func New(opts ...Option) (*Collector, error) {
	var cfg config
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("otelcol: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.catalogs == nil {
		cfg.catalogs = metrics.Catalogs()
	}
	if n := len(cfg.catalogs); n != 1 && (cfg.meterNameSet || cfg.namespaceSet) {
		opt := "WithMeterName"
		if cfg.namespaceSet {
			opt = "WithNamespace"
		}
		return nil, fmt.Errorf("otelcol: %s: the collector carries %d catalogs; the option renames one, so narrow it with WithCatalog", opt, n)
	}
	if err := cfg.buckets.CheckNames(cfg.catalogs...); err != nil {
		return nil, fmt.Errorf("otelcol: WithBuckets: %w", err)
	}
	if cfg.provider == nil {
		cfg.provider = otel.GetMeterProvider()
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	c := &Collector{provider: cfg.provider, owned: cfg.owned, shutdown: cfg.shutdown,
		logger: cfg.logger, ignored: metrics.NewIgnored("otelcol", cfg.logger)}
	for _, cat := range cfg.catalogs {
		if err := c.addCatalog(&cfg, cat); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// addCatalog creates cat's meter and instruments and resolves its events.
func (c *Collector) addCatalog(cfg *config, cat *metrics.Catalog) error {
	meterName, namespace := cat.Namespace(), cat.Namespace()
	if cfg.meterNameSet {
		meterName = cfg.meterName
	}
	if cfg.namespaceSet {
		namespace = cfg.namespace
	}
	unlabeled := newMeasureOpts(cfg.attrs)
	meter := cfg.provider.Meter(meterName)
	type built struct {
		counter *counter
		hist    metric.Float64Histogram
		attrs   *attrSets
	}
	var observed []metric.Observable
	var counters []*counter
	byName := map[string]built{}
	// Instruments with the same labels share their attribute sets (a
	// label name means one value set in a catalog).
	sets := map[string]*attrSets{}
	for _, spec := range cat.Instruments() {
		name := InstrumentName(namespace, spec.Name)
		if err := checkName(name); err != nil {
			return fmt.Errorf("otelcol: instrument name %q (namespace %q): %w", name, namespace, err)
		}
		key := strings.Join(spec.Labels, "\x00")
		if sets[key] == nil {
			sets[key] = &attrSets{spec: spec, constant: cfg.attrs, byIndex: make([]atomic.Pointer[measureOpts], spec.Series())}
			if len(spec.Labels) == 0 {
				sets[key].byIndex[0].Store(unlabeled)
			}
		}
		b := built{attrs: sets[key]}
		var err error
		switch spec.Kind {
		case metrics.Counter:
			var obs metric.Int64ObservableCounter
			obs, err = meter.Int64ObservableCounter(name,
				metric.WithDescription(spec.Help),
				metric.WithUnit(spec.Unit))
			if err == nil {
				b.counter = newCounter(obs, spec, b.attrs)
				counters = append(counters, b.counter)
				observed = append(observed, obs)
			}
		case metrics.Histogram:
			b.hist, err = meter.Float64Histogram(name,
				metric.WithDescription(spec.Help),
				metric.WithUnit(spec.Unit),
				metric.WithExplicitBucketBoundaries(cfg.buckets.For(spec)...))
		}
		if err != nil {
			return fmt.Errorf("otelcol: creating instrument %q: %w", name, err)
		}
		byName[spec.Name] = b
		c.names = append(c.names, name)
	}
	if len(observed) > 0 {
		// Never unregistered: like synchronous instruments, the counters
		// stay on the meter after Close, with the counts they reached. One
		// callback per meter: a callback may observe only its meter's
		// instruments.
		observe := func(_ context.Context, o metric.Observer) error {
			c.observe(counters, o)
			return nil
		}
		if _, err := meter.RegisterCallback(observe, observed...); err != nil {
			return fmt.Errorf("otelcol: registering the counters' callback of catalog %s: %w", cat, err)
		}
		c.counters = append(c.counters, counters...)
	}
	for _, d := range cat.Descriptors() {
		for int(d.Event) >= len(c.events) {
			c.events = append(c.events, nil)
		}
		for j, spec := range d.Instruments {
			b := byName[spec.Name]
			c.events[d.Event] = append(c.events[d.Event], instrument{
				counter: b.counter, hist: b.hist, spec: spec, attrs: b.attrs,
				val: spec.ValueField(), cond: spec.CondField(), want: spec.IfValue,
				sameLabels: j > 0 && slices.Equal(spec.Labels, d.Instruments[j-1].Labels),
			})
		}
	}
	return nil
}

// Emit records the event on the instruments its declaration says it feeds:
// a counter adds 1 or the field it counts, a histogram records the duration
// it observes in seconds, each with the attributes of its labels. It
// allocates nothing once a label combination has been seen. An event the
// collector does not carry is ignored and counted (Health); after Close
// every event is ignored and counted (see Dropped). A negative count or duration
// is not recorded and is counted (see Invalid). A panic inside the
// MeterProvider is recovered and counted (see Panics), never passed to the
// caller.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if int(ev) >= len(c.events) || c.events[ev] == nil {
		c.ignored.Event(ev)
		return
	}
	if c.closed.Load() {
		c.dropped.Add(1)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.panicked("emitting "+ev.String(), r)
		}
	}()
	if ctx == nil { // a nil context must not reach the SDK
		ctx = context.Background()
	}
	ins := c.events[ev]
	series := 0        // the current label combination
	var o *measureOpts // and its options, found when a histogram needs them
	for i := range ins {
		in := &ins[i]
		if !in.sameLabels { // always so for the first
			// An unlabeled instrument's only series is 0.
			series, o = in.spec.SeriesIndex(&p), nil
		}
		if in.cond != nil && p.Bool(in.cond) != in.want {
			continue
		}
		if in.counter != nil {
			d := int64(1)
			if in.val != nil {
				if d = p.Int(in.val); d < 0 {
					c.invalid.Add(1) // a counter cannot go down
					continue
				}
			}
			in.counter.add(series, d)
			continue
		}
		s := p.Seconds(in.val)
		if s < 0 {
			c.invalid.Add(1) // a negative duration
			continue
		}
		if o == nil {
			o = in.attrs.get(series)
		}
		in.hist.Record(ctx, s, o.record...)
	}
}

// panicked counts a panic of the MeterProvider that Emit or observe
// recovered while doing what, and logs the first.
func (c *Collector) panicked(what string, r any) {
	c.panics.Add(1)
	c.reported.Do(func() {
		c.logger.Error("otelcol: the MeterProvider panicked; further panics are counted, not logged",
			"while", what, "panic", fmt.Sprint(r))
	})
}

// Dropped returns how many events the collector did not record because they
// were emitted after Close.
func (c *Collector) Dropped() uint64 { return c.dropped.Load() }

// Invalid returns how many values the collector refused: negative counts (a
// counter cannot go down) and negative durations.
func (c *Collector) Invalid() uint64 { return c.invalid.Load() }

// Panics returns how many times the MeterProvider panicked inside Emit.
func (c *Collector) Panics() uint64 { return c.panics.Load() }

// Health reports the MeterProvider's panics
// (milestone_collector_panics_total{collector="otelcol"}), the values
// refused (milestone_invalid_values_total{backend="otelcol"}), the events
// emitted after Close (milestone_events_dropped_total{sink="otelcol"}) and
// the events ignored (milestone_events_ignored_total{collector="otelcol"}).
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	return append(c.ignored.Health(),
		metrics.FamilyPanics.Count(c.panics.Load(), "otelcol"),
		metrics.FamilyInvalid.Count(c.invalid.Load(), "otelcol"),
		metrics.FamilyDropped.Count(c.dropped.Load(), "otelcol"))
}

// InstrumentNames returns the names of the instruments the collector
// created, in catalog order.
func (c *Collector) InstrumentNames() []string { return slices.Clone(c.names) }

// Flush makes an owned MeterProvider (see WithOwnedMeterProvider) export
// every measurement recorded so far, through its ForceFlush method, and
// returns when it is done or ctx is. For a provider passed with
// WithMeterProvider, or the global one, it does nothing: flushing belongs to
// the provider's owner. After Close it does nothing.
func (c *Collector) Flush(ctx context.Context) error {
	if c == nil {
		return nil
	}
	if !c.owned || c.closed.Load() {
		return nil
	}
	if f, ok := c.provider.(flusher); ok {
		if err := f.ForceFlush(ctx); err != nil {
			return fmt.Errorf("otelcol: flush: %w", distinct(err))
		}
	}
	return nil
}

// Close stops the collector and, when it owns its MeterProvider, shuts the
// provider down (which exports what it holds), waiting at most CloseTimeout.
// It is idempotent: later calls return nil. Emit after Close is ignored.
func (c *Collector) Close() error {
	if c == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown is Close with a deadline of the caller's choosing: it stops the
// collector and, when it owns its MeterProvider, shuts the provider down,
// returning when that is done or ctx is. Only the first call does anything.
func (c *Collector) Shutdown(ctx context.Context) error {
	if c == nil {
		return nil
	}
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if c.owned && c.shutdown != nil {
			if e := c.shutdown(ctx); e != nil {
				err = fmt.Errorf("otelcol: shutting down the MeterProvider: %w", distinct(e))
			}
		}
	})
	return err
}

// distinct returns err with the repeats of a joined error left out: the
// SDK joins the context's error with its exporter's, which is often the
// same ("context deadline exceeded" twice).
func distinct(err error) error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var keep []error
	seen := map[string]bool{}
	for _, e := range joined.Unwrap() {
		if e != nil && !seen[e.Error()] {
			seen[e.Error()] = true
			keep = append(keep, e)
		}
	}
	if len(keep) == 1 {
		return keep[0]
	}
	return errors.Join(keep...)
}
