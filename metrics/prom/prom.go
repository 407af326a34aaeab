package prom

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/milestone-go/milestone/metrics"
)

// InvalidValuesName is the name, after the prefix, of the counter of values
// Emit could not record: a negative count, which a Prometheus counter cannot
// add.
const InvalidValuesName = "invalid_values_total"

// Collector is a metrics.Collector that records events in Prometheus
// counters and histograms. Build it with New. It is safe for concurrent use.
type Collector struct {
	// events holds, indexed by metrics.Event, the handles of the
	// instruments each event feeds, in catalog order.
	events  [][]handle
	invalid prometheus.Counter
}

// handle is one instrument of one event, resolved at New: counter is set
// for the counter ops, hist for the histogram ops.
type handle struct {
	op      op
	key     metrics.Key // the payload key read by opIf, opAdd and opObserve
	want    bool        // the value key must have for opIf
	in      *metrics.Instrument
	counter prometheus.Counter
	hist    prometheus.Observer
}

// op is what Emit does for one instrument. The first four are the
// instrument shapes of the catalog, done with one typed payload read
// (metrics.Payload.Bool, Int, Seconds) and the same client_golang call one
// would write by hand; the last two are the generic path through the
// catalog's own Instrument methods, for any other shape (an application's
// event defined with both a Value and an If, say).
type op uint8

const (
	opInc         op = iota + 1 // counter: add 1
	opIf                        // counter: add 1 when a boolean field equals want
	opAdd                       // counter: add a whole-number field (count negatives as invalid)
	opObserve                   // histogram: observe a duration field in seconds
	opDelta                     // counter: Instrument.Delta
	opObservation               // histogram: Instrument.Observation
)

var _ metrics.Collector = (*Collector)(nil)

// New builds a Collector: one family per distinct instrument name of the
// catalog, registered on the Registerer (prometheus.DefaultRegisterer unless
// WithRegisterer is given). A family that an earlier collector registered on
// the same Registerer with the same name, type, help, const labels and
// buckets is shared, so both collectors count into the same series.
//
// New returns an error naming the option when an option is invalid, and an
// error naming the metric when a family cannot be registered (its name is
// taken by a metric of another type, help or buckets, say); it then
// unregisters what it had registered. New never panics.
func New(opts ...Option) (c *Collector, err error) {
	cfg := config{reg: prometheus.DefaultRegisterer, prefix: DefaultPrefix}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("prom: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	b := &builder{cfg: &cfg, families: map[string]*family{}}
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("prom: New: %v", r)
		}
		if err != nil {
			b.rollback()
		}
	}()
	return b.build()
}

// Emit records the event in the instruments the catalog says it feeds. It
// ignores an event outside the catalog the collector was built with, never
// allocates and never blocks on anything but the instruments' atomics.
func (c *Collector) Emit(_ context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil || int(ev) >= len(c.events) {
		return
	}
	hs := c.events[ev]
	for i := range hs {
		h := &hs[i]
		switch h.op {
		case opInc:
			h.counter.Inc()
		case opIf:
			if p.Bool(h.key) == h.want {
				h.counter.Inc()
			}
		case opAdd:
			if v := p.Int(h.key); v >= 0 {
				h.counter.Add(float64(v))
			} else {
				c.invalid.Inc()
			}
		case opObserve:
			v, _ := p.Seconds(h.key)
			h.hist.Observe(v)
		case opDelta:
			if d, ok := h.in.Delta(&p); ok {
				h.counter.Add(float64(d))
			} else if d < 0 {
				c.invalid.Inc()
			}
		case opObservation:
			if v, ok := h.in.Observation(&p); ok {
				h.hist.Observe(v)
			}
		}
	}
}

// family is one Prometheus family the collector feeds.
type family struct {
	in      *metrics.Instrument // the first declaration of the name
	name    string              // the full name, prefix included
	counter prometheus.Counter
	hist    prometheus.Histogram
}

type builder struct {
	cfg        *config
	families   map[string]*family
	order      []*family              // families in catalog order
	registered []prometheus.Collector // what this New registered, for rollback
}

func (b *builder) build() (*Collector, error) {
	// Plan every family and check every name before registering anything.
	var events [][]handle
	for _, ev := range metrics.Events() {
		d, ok := metrics.Describe(ev)
		if !ok {
			continue
		}
		for int(ev) >= len(events) {
			events = append(events, nil)
		}
		hs := make([]handle, 0, len(d.Instruments))
		for i := range d.Instruments {
			if err := b.plan(&d.Instruments[i]); err != nil {
				return nil, fmt.Errorf("prom: event %s: %w", d.Wire, err)
			}
			hs = append(hs, handle{in: &d.Instruments[i]})
		}
		events[ev] = hs
	}
	if err := b.cfg.buckets.CheckNames(); err != nil {
		return nil, fmt.Errorf("prom: WithBuckets: %w (names are given without the prefix %q)", err, b.cfg.prefix)
	}
	invalidName := b.cfg.prefix + InvalidValuesName
	if _, ok := b.families[InvalidValuesName]; ok || !nameRE.MatchString(invalidName) {
		return nil, fmt.Errorf("prom: cannot name the invalid values counter %q", invalidName)
	}

	// Create and register.
	for _, f := range b.order {
		if err := b.create(f); err != nil {
			return nil, err
		}
	}
	invalid, err := b.registerCounter(prometheus.NewCounter(prometheus.CounterOpts{
		Name:        invalidName,
		Help:        "Values not recorded because a counter cannot add a negative number.",
		ConstLabels: b.cfg.constLabel,
	}), invalidName)
	if err != nil {
		return nil, err
	}

	// Resolve every event's handles.
	for _, hs := range events {
		for i := range hs {
			h := &hs[i]
			f := b.families[h.in.Name]
			if f.hist != nil {
				h.hist = f.hist
			} else {
				h.counter = f.counter
			}
			h.op, h.key, h.want = opFor(h.in, b.cfg.generic)
		}
	}
	return &Collector{events: events, invalid: invalid}, nil
}

// opFor chooses how Emit feeds in: a fast op when the instrument has one of
// the catalog's shapes, else the generic path. generic forces the generic
// path (for tests).
func opFor(in *metrics.Instrument, generic bool) (op, metrics.Key, bool) {
	switch {
	case generic:
	case in.Kind == metrics.Histogram && in.If == 0:
		return opObserve, in.Value, false
	case in.Kind != metrics.Counter:
	case in.If == 0 && in.Value == 0:
		return opInc, 0, false
	case in.Value == 0 && in.If.Kind() == metrics.KindBool:
		return opIf, in.If, in.IfValue
	case in.If == 0 && in.Value.Kind() == metrics.KindInt:
		return opAdd, in.Value, false
	}
	if in.Kind == metrics.Histogram {
		return opObservation, 0, false
	}
	return opDelta, 0, false
}

// plan records the family that in needs and checks its name with the
// prefix. The catalog's own validation (at init and in metrics.Define)
// already guarantees a known kind, help text, bounds that CheckBuckets
// accepts and one declaration per name, so plan does not check them again.
func (b *builder) plan(in *metrics.Instrument) error {
	if _, ok := b.families[in.Name]; ok {
		return nil
	}
	name := b.cfg.prefix + in.Name
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid metric name %q (prefix %q)", name, b.cfg.prefix)
	}
	f := &family{in: in, name: name}
	b.families[in.Name] = f
	b.order = append(b.order, f)
	return nil
}

func (b *builder) create(f *family) error {
	if f.in.Kind == metrics.Counter {
		c, err := b.registerCounter(prometheus.NewCounter(prometheus.CounterOpts{
			Name:        f.name,
			Help:        f.in.Help,
			ConstLabels: b.cfg.constLabel,
		}), f.name)
		f.counter = c
		return err
	}
	opts := prometheus.HistogramOpts{
		Name:        f.name,
		Help:        f.in.Help,
		ConstLabels: b.cfg.constLabel,
		// Checked by WithBuckets/WithAllBuckets or by the catalog.
		Buckets: slices.Clone(b.cfg.buckets.For(f.in)),
	}
	if b.cfg.nativeFact > 0 {
		opts.NativeHistogramBucketFactor = b.cfg.nativeFact
		opts.NativeHistogramMaxBucketNumber = NativeHistogramMaxBuckets
		opts.NativeHistogramMinResetDuration = NativeHistogramMinReset
	}
	h, err := b.registerHistogram(prometheus.NewHistogram(opts), f.name)
	f.hist = h
	return err
}

// register registers m, or returns the collector already registered under
// the same descriptor when it has the same shape as m.
func (b *builder) register(m prometheus.Metric, c prometheus.Collector, name string) (prometheus.Metric, error) {
	err := b.cfg.reg.Register(c)
	if err == nil {
		b.registered = append(b.registered, c)
		return m, nil
	}
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		return nil, fmt.Errorf("prom: registering %s: %w", name, err)
	}
	existing, ok := are.ExistingCollector.(prometheus.Metric)
	if !ok {
		return nil, fmt.Errorf("prom: %s is already registered by a %T, not by a single metric", name, are.ExistingCollector)
	}
	if err := sameShape(existing, m); err != nil {
		return nil, fmt.Errorf("prom: %s is already registered with another shape: %w", name, err)
	}
	return existing, nil
}

func (b *builder) registerCounter(c prometheus.Counter, name string) (prometheus.Counter, error) {
	m, err := b.register(c, c, name)
	if err != nil {
		return nil, err
	}
	got, ok := m.(prometheus.Counter)
	if !ok {
		return nil, fmt.Errorf("prom: %s is already registered by a %T, not by a counter", name, m)
	}
	return got, nil
}

func (b *builder) registerHistogram(h prometheus.Histogram, name string) (prometheus.Histogram, error) {
	m, err := b.register(h, h, name)
	if err != nil {
		return nil, err
	}
	got, ok := m.(prometheus.Histogram)
	if !ok {
		return nil, fmt.Errorf("prom: %s is already registered by a %T, not by a histogram", name, m)
	}
	return got, nil
}

// rollback unregisters what this New registered.
func (b *builder) rollback() {
	defer func() { _ = recover() }()
	for _, c := range b.registered {
		b.cfg.reg.Unregister(c)
	}
	b.registered = nil
}

// sameShape reports why existing cannot stand in for want: another metric
// type, other classic buckets or other native histogram settings.
func sameShape(existing, want prometheus.Metric) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reading the registered metric: %v", r)
		}
	}()
	var have, need dto.Metric
	if err := existing.Write(&have); err != nil {
		return fmt.Errorf("reading the registered metric: %w", err)
	}
	if err := want.Write(&need); err != nil {
		return err
	}
	switch {
	case need.Counter != nil:
		if have.Counter == nil {
			return fmt.Errorf("it is a %s, not a counter", metricType(&have))
		}
	case need.Histogram != nil:
		if have.Histogram == nil {
			return fmt.Errorf("it is a %s, not a histogram", metricType(&have))
		}
		hb, nb := bounds(have.Histogram), bounds(need.Histogram)
		if !slices.Equal(hb, nb) {
			return fmt.Errorf("its buckets are %v, not %v", hb, nb)
		}
		if (have.Histogram.Schema == nil) != (need.Histogram.Schema == nil) ||
			have.Histogram.GetSchema() != need.Histogram.GetSchema() {
			return errors.New("its native histogram settings differ")
		}
	}
	return nil
}

func bounds(h *dto.Histogram) []float64 {
	out := make([]float64, 0, len(h.Bucket))
	for _, b := range h.Bucket {
		out = append(out, b.GetUpperBound())
	}
	return out
}

func metricType(m *dto.Metric) string {
	switch {
	case m.Counter != nil:
		return "counter"
	case m.Gauge != nil:
		return "gauge"
	case m.Histogram != nil:
		return "histogram"
	case m.Summary != nil:
		return "summary"
	}
	return "untyped metric"
}

// DefaultBuckets returns the catalog's default bucket upper bounds, in
// seconds, of the histogram named name (without the prefix), or nil when the
// catalog has no histogram of that name. The slice is a copy.
func DefaultBuckets(name string) []float64 {
	for _, ev := range metrics.Events() {
		d, ok := metrics.Describe(ev)
		if !ok {
			continue
		}
		for _, in := range d.Instruments {
			if in.Name == name && in.Kind == metrics.Histogram {
				return slices.Clone(in.Buckets)
			}
		}
	}
	return nil
}
