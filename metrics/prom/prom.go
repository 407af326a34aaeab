package prom

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// Collector is a metrics.Collector that records the events of every catalog
// it carries in Prometheus counters and histograms. Build it with New. It is
// safe for concurrent use.
type Collector struct {
	// events holds, indexed by metrics.Event, the handles of the
	// instruments each event feeds, in declaration order; nil for an event
	// the collector does not carry.
	events  [][]handle
	invalid atomic.Uint64
	ignored *metrics.Ignored
}

// handle is one instrument of one event, resolved at New. An unlabeled
// instrument has its counter or hist; a labeled one finds its series in fam.
type handle struct {
	op      op
	val     *metrics.Field // the field read by opAdd and opObserve
	cond    *metrics.Field // the bool field of opIf
	want    bool           // the value cond must have
	in      *metrics.Instrument
	counter prometheus.Counter
	hist    prometheus.Observer
	fam     *family // set for a labeled instrument
}

// op is what Emit does for one instrument. The first four are the shapes of
// the built-in catalog's instruments, done with one typed payload read and
// the same client_golang call one would write by hand; the last two are the
// generic path through the instrument's own Delta and Observation, for any
// other shape (a counter with both a value and a condition, say).
type op uint8

const (
	opInc         op = iota + 1 // counter: add 1
	opIf                        // counter: add 1 when a bool field equals want
	opAdd                       // counter: add an int field (count negatives as invalid)
	opObserve                   // histogram: observe a duration field in seconds (count negatives as invalid)
	opDelta                     // counter: Instrument.Delta
	opObservation               // histogram: Instrument.Observation
	opIgnore                    // an event the collector does not carry: count it (Health)
)

// ignoreHandles is the handles of an event declared before New that the
// collector does not carry: one op that counts it as ignored, so that Emit
// tells it apart with no test of its own.
var ignoreHandles = []handle{{op: opIgnore}}

var _ metrics.Collector = (*Collector)(nil)

// Invalid returns how many values Emit refused: negative counts, which a
// counter cannot add, and negative durations, which would make a
// histogram's sum fall.
func (c *Collector) Invalid() uint64 {
	if c == nil {
		return 0
	}
	return c.invalid.Load()
}

// Health reports the values refused
// (milestone_invalid_values_total{backend="prom"}) and the events ignored
// (milestone_events_ignored_total{collector="prom"}).
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	return append(c.ignored.Health(), metrics.FamilyInvalid.Count(c.invalid.Load(), "prom"))
}

// New builds a Collector for every catalog declared before it (WithCatalog
// narrows them): one family per distinct instrument name of each catalog,
// named with the catalog's prefix ("querylog_"; WithPrefix sets another
// when the collector carries one catalog) and registered on the Registerer
// (prometheus.DefaultRegisterer unless
// WithRegisterer is given). An instrument with labels is a vector whose
// series are created as label values are first seen; its labels are
// bounded by the catalog (see metrics.Label), so a family never holds more
// than Instrument.Series series. A family that an earlier collector
// registered on the same Registerer with the same name, type, help, labels
// and buckets is shared, so both collectors count into the same series.
//
// New returns an error naming the option when an option is invalid, and an
// error naming the metric when a family cannot be registered (its name is
// taken by a metric of another type, help or buckets, say); it then
// unregisters what it had registered. New never panics.
func New(opts ...Option) (c *Collector, err error) {
	cfg := config{reg: prometheus.DefaultRegisterer}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("prom: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.catalogs == nil {
		cfg.catalogs = metrics.Catalogs()
	}
	if cfg.prefixSet && len(cfg.catalogs) != 1 {
		return nil, fmt.Errorf("prom: WithPrefix(%q): the collector carries %d catalogs; a prefix renames one, so narrow it with WithCatalog", cfg.prefix, len(cfg.catalogs))
	}
	b := &builder{cfg: &cfg, families: map[string]*family{}, ignored: metrics.NewIgnored("prom", cfg.logger)}
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

// Emit records the event in the instruments its declaration says it feeds.
// An event the collector does not carry is ignored and counted (Health). It
// never allocates once a labeled series exists, and never blocks on
// anything but the instruments' atomics. A negative count or duration is
// not recorded; it is counted (Invalid, and milestone_invalid_values_total
// through metrics/selfmetrics).
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if int(ev) >= len(c.events) {
		c.ignored.Event(ev)
		return
	}
	hs := c.events[ev]
	for i := range hs {
		h := &hs[i]
		if h.fam != nil {
			// A labeled instrument: the same op on its series.
			s := h.fam.series(h.in.SeriesIndex(&p))
			series := *h
			series.counter, series.hist = s.counter, s.hist
			h = &series
		}
		switch h.op {
		case opInc:
			h.counter.Inc()
		case opIf:
			if p.Bool(h.cond) == h.want {
				h.counter.Inc()
			}
		case opAdd:
			if v := p.Int(h.val); v >= 0 {
				h.counter.Add(float64(v))
			} else {
				c.invalid.Add(1)
			}
		case opObserve:
			if v := p.Seconds(h.val); v >= 0 {
				if sp := runctx.SpanValue(ctx); sp != nil {
					observeInSpan(h.hist, v, sp)
				} else {
					h.hist.Observe(v)
				}
			} else {
				c.invalid.Add(1)
			}
		case opDelta:
			if d, ok := h.in.Delta(&p); ok {
				h.counter.Add(float64(d))
			} else if d < 0 {
				c.invalid.Add(1)
			}
		case opIgnore:
			c.ignored.Event(ev)
		case opObservation:
			if v, ok := h.in.Observation(&p); ok {
				if sp := runctx.SpanValue(ctx); sp != nil {
					observeInSpan(h.hist, v, sp)
				} else {
					h.hist.Observe(v)
				}
			} else if v < 0 {
				c.invalid.Add(1)
			}
		}
	}
}

// observeInSpan records v, observed in a context holding the span sp (a
// milestone run's or step's, or any OTel span's), in hist; when sp is
// sampled, with an exemplar labeled with its trace_id and span_id, which
// Prometheus reads over OpenMetrics. prom's own histograms record it without
// allocating; client_golang's (labeled and native ones) through their
// ExemplarObserver, which allocates the labels.
func observeInSpan(hist prometheus.Observer, v float64, sp any) {
	sc, sampled := runctx.SampledOf(sp)
	if !sampled {
		hist.Observe(v)
		return
	}
	switch o := hist.(type) {
	case *histogram:
		o.ObserveInSpan(v, sc)
	case prometheus.ExemplarObserver:
		o.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
	default:
		hist.Observe(v)
	}
}
