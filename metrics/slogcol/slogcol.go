package slogcol

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
)

// The attribute keys every record carries before the event's fields.
const (
	KeyEventName = "event_name" // the wire name, such as "write.shard.completed"
	KeyEventCode = "event_code" // the stable code within the catalog
	KeyCatalog   = "catalog"    // the catalog's namespace
)

// Collector writes every event of every catalog declared before New as a
// slog record. Build it with New. It is safe for concurrent use.
type Collector struct {
	events  []*eventLogger // indexed by metrics.Event
	now     func() time.Time
	ignored *metrics.Ignored

	logged   atomic.Uint64
	errs     atomic.Uint64
	panics   atomic.Uint64
	reported sync.Once
}

// eventLogger is one event's declaration and the logger it is written to.
type eventLogger struct {
	d      *metrics.Descriptor
	logger *slog.Logger
}

var _ metrics.Collector = (*Collector)(nil)

// New returns a Collector for every event declared so far, of every
// catalog; events declared later are ignored and counted (Health). It returns an error naming
// the option when an option is nil or invalid.
func New(opts ...Option) (*Collector, error) {
	cfg := config{clock: time.Now}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("slogcol: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Collector{now: cfg.clock, ignored: metrics.NewIgnored("slogcol", cfg.logger)}
	for _, d := range metrics.Descriptors() {
		for int(d.Event) >= len(c.events) {
			c.events = append(c.events, nil)
		}
		l := cfg.logger
		if l == nil {
			l = logctx.CatalogLogger(d.Catalog.Namespace(), string(d.Group))
		}
		c.events[d.Event] = &eventLogger{d: d, logger: l}
	}
	return c, nil
}

// Emit writes the event as one record when its logger is enabled at the
// event's level; otherwise it costs one level check. A handler's error is
// counted (Stats.Errors), a handler's panic recovered and counted
// (Stats.Panics) and reported once through slog.Default; neither reaches
// the caller.
func (c *Collector) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	if c == nil {
		return
	}
	if int(ev) >= len(c.events) || c.events[ev] == nil {
		c.ignored.Event(ev)
		return
	}
	e := c.events[ev]
	if ctx == nil {
		ctx = context.Background()
	}
	if !e.logger.Enabled(ctx, e.d.LevelOf(&p)) {
		return
	}
	defer c.recoverPanic(e.d)
	r := Record(e.d, &p, c.now())
	if err := e.logger.Handler().Handle(ctx, r); err != nil {
		c.errs.Add(1)
		return
	}
	c.logged.Add(1)
}

// Record returns the slog record of an event: its level (LevelOf), the
// rendered message, the event's name, code and catalog, then every field in
// declaration order. Collectors that log events their own way start from it.
func Record(d *metrics.Descriptor, p *metrics.Payload, t time.Time) slog.Record {
	r := slog.NewRecord(t, d.LevelOf(p), d.Render(p), 0)
	r.AddAttrs(
		slog.String(KeyEventName, d.Wire),
		slog.Int(KeyEventCode, int(d.Code)),
		slog.String(KeyCatalog, d.Catalog.Namespace()),
	)
	for _, f := range d.Fields {
		r.AddAttrs(Attr(f, p))
	}
	return r
}

// Attr returns field f of p as a slog attribute: an integer, a float, a
// boolean, a duration as a number in the field's unit (milliseconds for
// *_ms, seconds otherwise, as the event log writes it), a string as
// emitted.
func Attr(f *metrics.Field, p *metrics.Payload) slog.Attr {
	switch f.Kind {
	case metrics.KindInt:
		return slog.Int64(f.Name, p.Int(f))
	case metrics.KindFloat:
		return slog.Float64(f.Name, p.Float(f))
	case metrics.KindBool:
		return slog.Bool(f.Name, p.Bool(f))
	case metrics.KindDuration:
		return slog.Float64(f.Name, p.Number(f))
	}
	return slog.String(f.Name, p.Str(f))
}

func (c *Collector) recoverPanic(d *metrics.Descriptor) {
	if r := recover(); r != nil {
		c.panics.Add(1)
		c.reported.Do(func() {
			slog.Default().Error("slogcol: a handler panicked; further panics are counted, not logged",
				"event_name", d.Wire, "panic", fmt.Sprint(r))
		})
	}
}

// Stats counts what the collector did.
type Stats struct {
	// Logged is the number of records handled without error.
	Logged uint64
	// Errors is the number of records whose handler returned an error.
	Errors uint64
	// Panics is the number of records whose handler panicked.
	Panics uint64
}

// Stats returns the collector's counters.
func (c *Collector) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return Stats{Logged: c.logged.Load(), Errors: c.errs.Load(), Panics: c.panics.Load()}
}

// Health reports the handlers' panics
// (milestone_collector_panics_total{collector="slogcol"}), their errors
// (milestone_log_lines_failed_total{handler="slogcol"}) and the events
// ignored (milestone_events_ignored_total{collector="slogcol"}).
func (c *Collector) Health() []metrics.HealthValue {
	if c == nil {
		return nil
	}
	st := c.Stats()
	return append(c.ignored.Health(),
		metrics.FamilyPanics.Count(st.Panics, "slogcol"),
		metrics.FamilyLogFailed.Count(st.Errors, "slogcol"))
}
