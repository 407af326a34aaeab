package prom

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/milestone-go/milestone/metrics"
)

// family is one Prometheus family the collector feeds.
type family struct {
	in      *metrics.Instrument // the first declaration of the name
	cat     *metrics.Catalog    // the catalog that declares it
	name    string              // the full name, prefix included
	counter prometheus.Counter  // unlabeled counter
	hist    prometheus.Histogram
	cvec    *prometheus.CounterVec // labeled counter
	hvec    *prometheus.HistogramVec
	// byIndex holds a labeled family's series by Instrument.SeriesIndex,
	// created on first use.
	byIndex []atomic.Pointer[series]
}

// series is one labeled series of a family.
type series struct {
	counter prometheus.Counter
	hist    prometheus.Observer
}

// series returns the series of label combination i, creating it on first
// use. Two goroutines creating one series at once get the same child from
// client_golang, so the race is harmless.
func (f *family) series(i int) *series {
	if s := f.byIndex[i].Load(); s != nil {
		return s
	}
	values := f.in.SeriesLabels(i)
	s := &series{}
	if f.cvec != nil {
		s.counter = f.cvec.WithLabelValues(values...)
	} else {
		s.hist = f.hvec.WithLabelValues(values...)
	}
	f.byIndex[i].Store(s)
	return s
}

type builder struct {
	cfg        *config
	ignored    *metrics.Ignored
	families   map[string]*family     // by full name, prefix included
	order      []*family              // families in declaration order
	registered []prometheus.Collector // what this New registered, for rollback
}

func (b *builder) build() (*Collector, error) {
	// Plan every family and check every name before registering anything.
	var events [][]handle
	for _, cat := range b.cfg.catalogs {
		prefix := cat.PromPrefix()
		if b.cfg.prefixSet {
			prefix = b.cfg.prefix
		}
		for _, d := range cat.Descriptors() {
			for int(d.Event) >= len(events) {
				events = append(events, nil)
			}
			hs := make([]handle, 0, len(d.Instruments))
			for _, in := range d.Instruments {
				f, err := b.plan(cat, prefix, in)
				if err != nil {
					return nil, fmt.Errorf("prom: event %s of catalog %s: %w", d.Wire, cat, err)
				}
				hs = append(hs, handle{in: in, fam: f})
			}
			events[d.Event] = hs
		}
	}
	if err := b.cfg.buckets.CheckNames(b.cfg.catalogs...); err != nil {
		return nil, fmt.Errorf("prom: WithBuckets: %w (names are given without the prefix)", err)
	}
	// Create and register.
	for _, f := range b.order {
		if err := b.create(f); err != nil {
			return nil, err
		}
	}
	// Resolve every event's handles.
	for _, hs := range events {
		for i := range hs {
			h := &hs[i]
			f := h.fam
			h.fam = nil
			switch {
			case f.cvec != nil || f.hvec != nil:
				h.fam = f
			case f.hist != nil:
				h.hist = f.hist
			default:
				h.counter = f.counter
			}
			h.op = opFor(h.in, b.cfg.generic)
			h.val, h.cond, h.want = h.in.ValueField(), h.in.CondField(), h.in.IfValue
		}
	}
	// Every event declared now that no carried catalog has, and the Event
	// values no declaration has (0), are ignored and counted.
	for _, d := range metrics.Descriptors() {
		for int(d.Event) >= len(events) {
			events = append(events, nil)
		}
	}
	for ev, hs := range events {
		if hs == nil {
			events[ev] = ignoreHandles
		}
	}
	return &Collector{events: events, ignored: b.ignored}, nil
}

// opFor chooses how Emit feeds in: a fast op when the instrument has one of
// the common shapes, else the generic path. generic forces the generic path
// (for tests).
func opFor(in *metrics.Instrument, generic bool) op {
	val, cond := in.ValueField(), in.CondField()
	switch {
	case generic:
	case in.Kind == metrics.Histogram && cond == nil:
		return opObserve
	case in.Kind != metrics.Counter:
	case cond == nil && val == nil:
		return opInc
	case val == nil:
		return opIf
	case cond == nil:
		return opAdd
	}
	if in.Kind == metrics.Histogram {
		return opObservation
	}
	return opDelta
}

// plan returns the family that in needs under prefix, recording it the
// first time, and checks its name. Declare already guarantees a known kind,
// help text, bounds that CheckBuckets accepts and one declaration per name
// in a catalog, so plan does not check them again; two catalogs whose
// prefixed names meet are an error.
func (b *builder) plan(cat *metrics.Catalog, prefix string, in *metrics.Instrument) (*family, error) {
	name := prefix + in.Name
	if f, ok := b.families[name]; ok {
		if f.cat != cat {
			return nil, fmt.Errorf("metric %s is also an instrument of catalog %s", name, f.cat)
		}
		return f, nil
	}
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("invalid metric name %q (prefix %q)", name, prefix)
	}
	for _, l := range in.Labels {
		if _, clash := b.cfg.constLabel[l]; clash {
			return nil, fmt.Errorf("%s: label %q is also a const label (WithConstLabels)", name, l)
		}
	}
	f := &family{in: in, cat: cat, name: name}
	b.families[name] = f
	b.order = append(b.order, f)
	return f, nil
}

func (b *builder) create(f *family) error {
	labels := f.in.Labels
	if f.in.Kind == metrics.Counter {
		opts := prometheus.CounterOpts{Name: f.name, Help: f.in.Help, ConstLabels: b.cfg.constLabel}
		if len(labels) > 0 {
			v, err := b.registerVec(prometheus.NewCounterVec(opts, labels), f.name)
			if err != nil {
				return err
			}
			cv, ok := v.(*prometheus.CounterVec)
			if !ok {
				return fmt.Errorf("prom: %s is already registered by a %T, not by a counter vector", f.name, v)
			}
			f.cvec, f.byIndex = cv, make([]atomic.Pointer[series], f.in.Series())
			return nil
		}
		c, err := b.registerCounter(newCounter(opts), f.name)
		f.counter = c
		return err
	}
	opts := prometheus.HistogramOpts{
		Name:        f.name,
		Help:        f.in.Help,
		ConstLabels: b.cfg.constLabel,
		// Checked by WithBuckets/WithAllBuckets or by Declare.
		Buckets: slices.Clone(b.cfg.buckets.For(f.in)),
	}
	if b.cfg.nativeFact > 0 {
		opts.NativeHistogramBucketFactor = b.cfg.nativeFact
		opts.NativeHistogramMaxBucketNumber = NativeHistogramMaxBuckets
		opts.NativeHistogramMinResetDuration = NativeHistogramMinReset
	}
	if len(labels) > 0 {
		v, err := b.registerVec(prometheus.NewHistogramVec(opts, labels), f.name)
		if err != nil {
			return err
		}
		hv, ok := v.(*prometheus.HistogramVec)
		if !ok {
			return fmt.Errorf("prom: %s is already registered by a %T, not by a histogram vector", f.name, v)
		}
		f.hvec, f.byIndex = hv, make([]atomic.Pointer[series], f.in.Series())
		return nil
	}
	var own prometheus.Histogram
	if b.cfg.nativeFact > 0 {
		own = prometheus.NewHistogram(opts) // native buckets: client_golang's
	} else {
		own = newHistogram(opts)
	}
	h, err := b.registerHistogram(own, f.name)
	f.hist = h
	return err
}

// registerVec registers a labeled family, or returns the one already
// registered under the same descriptor (name, help, label names and const
// labels: Prometheus compares them). Buckets of an existing histogram vector
// are not compared.
func (b *builder) registerVec(c prometheus.Collector, name string) (prometheus.Collector, error) {
	err := b.cfg.reg.Register(c)
	if err == nil {
		b.registered = append(b.registered, c)
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) {
		return nil, fmt.Errorf("prom: registering %s: %w", name, err)
	}
	return are.ExistingCollector, nil
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
