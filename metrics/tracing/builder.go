package tracing

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/metrics"
)

// This file turns events into spans, for the live collector and for a trace
// rebuilt from an event log alike: each event comes with its identity
// (ident) and its time, and the builder decides which span it ends, opens
// or is an event of.

// ident is an event's place in a trace: the span it was emitted in.
type ident struct {
	trace  trace.TraceID
	span   trace.SpanID // the span the event was emitted in
	parent trace.SpanID // a step's parent, or a joined root's parent
	// root and rootParent are the run's root span and its parent; root is
	// zero outside any run (a step of another tracer's trace).
	root, rootParent trace.SpanID
	run              string
	step             bool // span is a step, not the run's root
	// ends reports that this event, which has a duration, is the first of
	// its step's and so ends it.
	ends bool
	// live are the contexts of a live event: ctx, the event's (which holds
	// span), and parentCtx, the one span was started in (which holds its
	// parent); nil when rebuilding, where the ids alone say the parent.
	ctx, parentCtx context.Context
}

// evt is what the builder needs of an event: its name and group, whether
// it ends its run, its duration, its error type (ERROR-level events) and
// its fields as attributes. The live collector makes it from a
// declaration and a payload (evtOf); a rebuild from an event-log line.
type evt struct {
	name, group string
	endsRun     bool
	dur         time.Duration
	hasDur      bool
	errType     string
	attrs       []attribute.KeyValue
}

// evtOf returns the evt of a declared event, its attributes appended to
// attrs (which must have room for two more, for withRun).
func evtOf(d *metrics.Descriptor, p *metrics.Payload, attrs []attribute.KeyValue) evt {
	e := evt{name: d.Wire, group: string(d.Group), endsRun: d.EndsRun, errType: errorType(d, p), attrs: appendAttributes(attrs, d, p)}
	e.dur, e.hasDur = duration(d, p)
	return e
}

// withRun returns attrs with the event's name and run added, as step and
// root spans carry them. It appends in place when attrs has room (an evt is
// used for one span), so that a live event allocates its attributes once.
func (e *evt) withRun(run string) []attribute.KeyValue {
	return append(e.attrs[:len(e.attrs):cap(e.attrs)],
		attribute.String("milestone.event", e.name), attribute.String("milestone.run_id", run))
}

// spanEvent is an event kept for a span that has not ended yet.
type spanEvent struct {
	name  string
	at    time.Time
	attrs []attribute.KeyValue
}

// openSpan is what is known of a span before it ends: the events emitted in
// it so far, and (for a root) when its run's first event came.
type openSpan struct {
	events  []spanEvent
	dropped int // events over maxEvents
	first   time.Time
}

// runState is an open run: its identity, its root span and its steps that
// have events.
type runState struct {
	id    ident // the root's
	root  openSpan
	steps map[trace.SpanID]*openSpan
	order int64 // for eviction, oldest first
}

// finished is one span to hand to the SDK.
type finished struct {
	id          ident
	name        string
	start, end  time.Time
	attrs       []attribute.KeyValue
	events      []spanEvent
	droppedEvts int
	errType     string // non-empty: status error
	newID       bool   // a child span with an id of its own (not a step's)
	// parentCtx holds the span's parent when the span is live (see
	// ident); nil when the ids say it (a rebuild, a root, a drain).
	parentCtx context.Context
	// exactEnd ends the span at end; a live span ends when it is handed to
	// the SDK, the instant of its event.
	exactEnd bool
}

// builder keeps the open runs and steps and turns events into finished
// spans. It is safe for concurrent use.
type builder struct {
	maxEvents int // per span
	maxRuns   int

	mu    sync.Mutex
	runs  map[trace.SpanID]*runState
	seq   int64
	stats *stats
}

type stats struct {
	spans, eventsDropped, runsEvicted, stepsUnended atomic.Uint64
}

func newBuilder(maxEvents, maxRuns int, st *stats) *builder {
	return &builder{maxEvents: maxEvents, maxRuns: maxRuns, runs: map[trace.SpanID]*runState{}, stats: st}
}

// add takes one event and returns the spans it finishes: a step it ends, a
// child span of its own, the run's root span (and the run's steps left
// open) when it ends the run.
func (b *builder) add(out []finished, id ident, e *evt, at time.Time) []finished {
	b.mu.Lock()
	defer b.mu.Unlock()
	rs := b.run(id, at)
	switch {
	case e.hasDur && id.step && id.ends:
		out = append(out, b.endStep(rs, id, e, at))
	case e.hasDur && (!e.endsRun || id.step):
		child := id
		child.parent, child.step = id.span, true
		out = append(out, finished{id: child, name: e.name, start: at.Add(-e.dur), end: at,
			attrs: e.withRun(id.run), errType: e.errType, newID: true, parentCtx: id.ctx, exactEnd: id.ctx == nil})
	case !e.endsRun:
		b.event(rs, id, e, at)
	}
	if e.endsRun && rs != nil {
		out = b.endRun(out, rs, id, e, at)
	}
	return out
}

// run returns the state of id's run, opening it at its first event, or nil
// outside any run.
func (b *builder) run(id ident, at time.Time) *runState {
	if !id.root.IsValid() {
		return nil
	}
	rs := b.runs[id.root]
	if rs == nil {
		if len(b.runs) >= b.maxRuns {
			b.evictOldest()
		}
		b.seq++
		rs = &runState{root: openSpan{first: at}, steps: map[trace.SpanID]*openSpan{}, order: b.seq,
			id: ident{trace: id.trace, span: id.root, parent: id.rootParent, root: id.root, rootParent: id.rootParent, run: id.run}}
		b.runs[id.root] = rs
	}
	return rs
}

// evictOldest forgets the oldest open run, counting it: its spans are
// never exported (a run that never ended, in a process that outlives it).
func (b *builder) evictOldest() {
	var oldest trace.SpanID
	var at int64 = -1
	for k, rs := range b.runs {
		if at < 0 || rs.order < at {
			oldest, at = k, rs.order
		}
	}
	delete(b.runs, oldest)
	b.stats.runsEvicted.Add(1)
}

// event keeps an event without a duration for the span it was emitted in.
func (b *builder) event(rs *runState, id ident, e *evt, at time.Time) {
	if rs == nil {
		return
	}
	sp := &rs.root
	if id.step {
		sp = rs.steps[id.span]
		if sp == nil {
			sp = &openSpan{}
			rs.steps[id.span] = sp
		}
	}
	if len(sp.events) >= b.maxEvents {
		sp.dropped++
		b.stats.eventsDropped.Add(1)
		return
	}
	sp.events = append(sp.events, spanEvent{name: e.name, at: at, attrs: e.attrs})
}

// endStep finishes the step id.span, with the events kept for it.
func (b *builder) endStep(rs *runState, id ident, e *evt, at time.Time) finished {
	f := finished{id: id, name: e.name, start: at.Add(-e.dur), end: at, attrs: e.withRun(id.run), errType: e.errType,
		parentCtx: id.parentCtx, exactEnd: id.parentCtx == nil}
	if rs != nil {
		if sp := rs.steps[id.span]; sp != nil {
			f.events, f.droppedEvts = sp.events, sp.dropped
			delete(rs.steps, id.span)
		}
	}
	return f
}

// endRun finishes the run's root span (named after the ending event's
// group, from its first event, or its duration's start when earlier, to
// this event) and the steps it left open, which end with it in error.
func (b *builder) endRun(out []finished, rs *runState, id ident, e *evt, at time.Time) []finished {
	start := rs.root.first
	if e.hasDur && !id.step && at.Add(-e.dur).Before(start) {
		start = at.Add(-e.dur)
	}
	result := "success"
	if e.errType != "" {
		result = "failure"
	}
	attrs := append(e.withRun(id.run),
		attribute.String("cicd.pipeline.run.id", id.run),
		attribute.String("cicd.pipeline.result", result))
	events := append(rs.root.events, spanEvent{name: e.name, at: at, attrs: e.attrs})
	out = append(out, finished{id: rs.id, name: e.group, start: start, end: at, attrs: attrs, events: events,
		droppedEvts: rs.root.dropped, errType: e.errType, exactEnd: true})
	for spanID, sp := range rs.steps {
		b.stats.stepsUnended.Add(1)
		step := ident{trace: id.trace, span: spanID, root: id.root, run: id.run, step: true}
		start := at
		if len(sp.events) > 0 {
			start = sp.events[0].at
		}
		out = append(out, finished{id: step, name: "step not ended", start: start, end: at, events: sp.events,
			droppedEvts: sp.dropped, errType: "not_ended", exactEnd: true, attrs: []attribute.KeyValue{attribute.String("milestone.run_id", id.run)}})
	}
	delete(b.runs, id.root)
	return out
}

// drain returns every open run's root span, ended now in error
// ("not_ended"), and forgets the runs: what Close exports, so that a run
// that never ended still shows.
func (b *builder) drain(now time.Time) []finished {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []finished
	for root, rs := range b.runs {
		out = append(out, finished{id: rs.id, name: "run not ended", start: rs.root.first, end: now,
			events: rs.root.events, droppedEvts: rs.root.dropped, errType: "not_ended", exactEnd: true,
			attrs: []attribute.KeyValue{attribute.String("milestone.run_id", rs.id.run), attribute.String("cicd.pipeline.run.id", rs.id.run)}})
		delete(b.runs, root)
	}
	return out
}

// duration returns the event's duration field (RoleDuration), if it has one.
func duration(d *metrics.Descriptor, p *metrics.Payload) (time.Duration, bool) {
	for _, f := range d.Fields {
		if f.Role == metrics.RoleDuration {
			return p.Duration(f), true
		}
	}
	return 0, false
}

// errorType returns the error type of an ERROR-level event (its
// error_type field when it has one, else its wire name), or "".
func errorType(d *metrics.Descriptor, p *metrics.Payload) string {
	if d.LevelOf(p) < slog.LevelError {
		return ""
	}
	if f, ok := d.Field("error_type"); ok && f.Kind == metrics.KindString {
		if s := p.Str(f); s != "" {
			return s
		}
	}
	return d.Wire
}

// maxAttrLen bounds a string attribute.
const maxAttrLen = 256

// attributes returns the event's fields as attributes (durations in their
// field's unit, strings cut to maxAttrLen bytes), with room for two more.
func attributes(d *metrics.Descriptor, p *metrics.Payload) []attribute.KeyValue {
	return appendAttributes(make([]attribute.KeyValue, 0, len(d.Fields)+2), d, p)
}

// appendAttributes appends the event's fields to out as attributes.
func appendAttributes(out []attribute.KeyValue, d *metrics.Descriptor, p *metrics.Payload) []attribute.KeyValue {
	for _, f := range d.Fields {
		switch f.Kind {
		case metrics.KindInt:
			out = append(out, attribute.Int64(f.Name, p.Int(f)))
		case metrics.KindFloat:
			out = append(out, attribute.Float64(f.Name, p.Float(f)))
		case metrics.KindBool:
			out = append(out, attribute.Bool(f.Name, p.Bool(f)))
		case metrics.KindDuration:
			out = append(out, attribute.Float64(f.Name, p.Number(f)))
		case metrics.KindString:
			s := p.Str(f)
			if len(s) > maxAttrLen {
				s = s[:maxAttrLen]
			}
			out = append(out, attribute.String(f.Name, s))
		}
	}
	return out
}

// idsKey holds the ids a span being started must get (see idGenerator).
type idsKey struct{}

type wantIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

// idsCtx is a context that holds the ids a span being started must get,
// in one allocation where context.WithValue and the ids would be two.
type idsCtx struct {
	context.Context
	want wantIDs
}

func (c *idsCtx) Value(key any) any {
	if key == (idsKey{}) {
		return &c.want
	}
	return c.Context.Value(key)
}

// export starts and ends f on tracer with its times, ids, events and
// status.
func export(tracer trace.Tracer, f finished) {
	ctx := f.parentCtx
	if ctx == nil {
		ctx = context.Background()
		if f.id.parent.IsValid() {
			ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: f.id.trace, SpanID: f.id.parent, TraceFlags: trace.FlagsSampled}))
		}
	}
	if !f.newID {
		ctx = &idsCtx{Context: ctx, want: wantIDs{trace: f.id.trace, span: f.id.span}}
	}
	_, sp := tracer.Start(ctx, f.name, trace.WithTimestamp(f.start))
	sp.SetAttributes(f.attrs...)
	for _, e := range f.events {
		sp.AddEvent(e.name, trace.WithTimestamp(e.at), trace.WithAttributes(e.attrs...))
	}
	if f.droppedEvts > 0 {
		sp.SetAttributes(attribute.Int("milestone.span_events_dropped", f.droppedEvts))
	}
	if f.errType != "" {
		sp.SetAttributes(attribute.String("error.type", f.errType))
		sp.SetStatus(codes.Error, f.errType)
	}
	if f.exactEnd {
		sp.End(trace.WithTimestamp(f.end))
	} else {
		sp.End()
	}
}
