package runctx

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// Span is the identity of a run (its root span) or of one of its steps: the
// run id, the trace id, the span id and the parent span id. It is an
// OpenTelemetry span that records nothing (IsRecording is false; End,
// AddEvent and the setters do nothing), stored in a context where OTel's
// trace.SpanFromContext finds it, so every reader of spans (jsonlog, the
// exemplars of prom and otelcol, an HTTP client's propagator) sees
// milestone's runs and steps. metrics/tracing turns them into recorded
// spans from the events emitted in them.
type Span struct {
	embedded.Span

	run    string
	trace  trace.TraceID
	id     trace.SpanID
	parent trace.SpanID // zero for a run's root span with no parent
	flags  trace.TraceFlags
	root   bool
	// rootID and rootParent are the run's root span and its parent (zero
	// for a step of another tracer's trace, outside any run).
	rootID, rootParent trace.SpanID
	// parentCtx is the context the span was started in: the one that holds
	// its parent.
	parentCtx context.Context
	claimed   atomic.Bool
}

// RunID returns the id of the run the span belongs to.
func (s *Span) RunID() string { return s.run }

// TraceID returns the span's trace id.
func (s *Span) TraceID() trace.TraceID { return s.trace }

// SpanID returns the span's id.
func (s *Span) SpanID() trace.SpanID { return s.id }

// Parent returns the id of the span's parent, and false for a run's root
// span that started no trace of another.
func (s *Span) Parent() (trace.SpanID, bool) { return s.parent, s.parent.IsValid() }

// IsRoot reports whether s is a run's root span (runctx.With), not a step.
func (s *Span) IsRoot() bool { return s.root }

// RunRoot returns the id of the root span of the span's run and that root's
// parent (a span of another trace the run joined, or zero); the root id is
// zero for a step of another tracer's trace outside any run.
func (s *Span) RunRoot() (root, parent trace.SpanID) { return s.rootID, s.rootParent }

// Sampled reports whether the span's run is sampled: its spans are
// exported and its histogram observations carry exemplars.
func (s *Span) Sampled() bool { return s.flags.IsSampled() }

// ParentContext returns the context the span was started in, which holds
// its parent span (or none, for a root).
func (s *Span) ParentContext() context.Context {
	if s.parentCtx == nil {
		return context.Background()
	}
	return s.parentCtx
}

// Claim reports true the first time it is called: the tracing collector
// calls it when an event with a duration ends the span, so that a second
// such event in the same context becomes a span of its own.
func (s *Span) Claim() bool { return s.claimed.CompareAndSwap(false, true) }

// SpanContext returns the span's OpenTelemetry span context.
func (s *Span) SpanContext() trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: s.trace, SpanID: s.id, TraceFlags: s.flags})
}

// IsRecording reports false: a Span records nothing itself.
func (s *Span) IsRecording() bool { return false }

// End does nothing: a step ends with the event metrics.End emits.
func (s *Span) End(...trace.SpanEndOption) {}

// AddEvent does nothing; emit an event instead.
func (s *Span) AddEvent(string, ...trace.EventOption) {}

// AddLink does nothing.
func (s *Span) AddLink(trace.Link) {}

// RecordError does nothing; emit an ERROR-level event instead.
func (s *Span) RecordError(error, ...trace.EventOption) {}

// SetStatus does nothing.
func (s *Span) SetStatus(codes.Code, string) {}

// SetName does nothing.
func (s *Span) SetName(string) {}

// SetAttributes does nothing.
func (s *Span) SetAttributes(...attribute.KeyValue) {}

// TracerProvider returns a TracerProvider that records nothing.
func (s *Span) TracerProvider() trace.TracerProvider { return noop.NewTracerProvider() }

// spanCtx is a context holding a Span, answering OTel's context key itself:
// one allocation per run or step, where context.WithValue and a separate
// span would be two.
type spanCtx struct {
	context.Context
	span Span
}

// Value returns the span for OTel's span key, and asks the parent for
// every other key.
func (c *spanCtx) Value(key any) any {
	if key == otelSpanKey {
		return &c.span
	}
	return c.Context.Value(key)
}

// otelSpanKey is the key trace.SpanFromContext looks spans up by, learned
// once by asking it through a context that records the key it is given.
var otelSpanKey = func() any {
	r := &keyRecorder{Context: context.Background()}
	trace.SpanFromContext(r)
	return r.key
}()

type keyRecorder struct {
	context.Context
	key any
}

func (r *keyRecorder) Value(key any) any {
	r.key = key
	return nil
}

// SpanOf returns the milestone span ctx holds (the innermost span of ctx,
// when it is a run's or a step's), or nil.
func SpanOf(ctx context.Context) *Span {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(otelSpanKey).(*Span)
	return s
}

// withSpan returns ctx holding a new span filled by fill.
func withSpan(ctx context.Context, fill func(*Span)) (context.Context, *Span) {
	if !active.Load() {
		active.Store(true)
	}
	c := &spanCtx{Context: ctx}
	fill(&c.span)
	c.span.parentCtx = ctx
	return c, &c.span
}

// Derive returns the trace id and the root span id of the run id: the first
// 16 and the next 8 bytes of SHA-256 of "milestone.run", a zero byte and
// the id. Every sink that knows only a run id writes these, and a run that
// starts no trace of another has them, so a run's trace can be rebuilt from
// its event log on the same ids.
func Derive(run string) (trace.TraceID, trace.SpanID) {
	h := sha256.New()
	h.Write([]byte("milestone.run\x00"))
	h.Write([]byte(run))
	var sum [32]byte
	h.Sum(sum[:0])
	var t trace.TraceID
	var s trace.SpanID
	copy(t[:], sum[:16])
	copy(s[:], sum[16:24])
	if !s.IsValid() {
		s[7] = 1
	}
	return t, s
}

// newSpanID returns a random, valid span id.
func newSpanID() trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.BigEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

// StartStep returns a copy of ctx holding a new step span, the child of the
// span ctx holds: a run's root, another step, or a span of another tracer
// (an HTTP request's), whose trace it joins. A step started in a context
// with no span belongs to the run ctx names (see ID) and hangs under its
// derived root. With no run either, the step has no identity: StartStep
// returns ctx unchanged and a nil span, and allocates nothing (a reader's
// lookup outside any request or run).
func StartStep(ctx context.Context) (context.Context, *Span) {
	if ctx == nil {
		ctx = context.Background()
	}
	parent := trace.SpanFromContext(ctx)
	if _, ours := parent.(*Span); !ours && !parent.SpanContext().IsValid() {
		if _, ok := ID(ctx); !ok {
			return ctx, nil
		}
	}
	return withSpan(ctx, func(s *Span) {
		s.id = newSpanID()
		if p, ok := parent.(*Span); ok {
			s.run, s.trace, s.parent, s.flags = p.run, p.trace, p.id, p.flags
			s.rootID, s.rootParent = p.rootID, p.rootParent
			return
		}
		s.run, _ = ID(ctx)
		if sc := parent.SpanContext(); sc.IsValid() {
			s.trace, s.parent, s.flags = sc.TraceID(), sc.SpanID(), sc.TraceFlags()
			return
		}
		s.flags = trace.FlagsSampled
		s.trace, s.parent = Derive(s.run)
		s.rootID = s.parent
	})
}

// Identity is what a sink writes of an event's context: its run, and its
// trace, span and parent span ids (zero when the context holds no span: the
// sink then writes the ids Derive gives for the run). Parent is a step's
// parent, or the span of another trace a run's root joined.
type Identity struct {
	Run    string
	Trace  trace.TraceID
	Span   trace.SpanID
	Parent trace.SpanID
	// Step reports a step's span (Parent is its parent), not a run's root.
	Step bool
}

// From returns ctx's identity: from a milestone span, everything; from a
// span of another tracer, its trace and span ids and the run that IDOr
// finds with key; with no span, only that run. key is the logctx field a
// sink reads runs from (Field unless the sink names another). It allocates
// nothing for a string run id.
func From(ctx context.Context, key string) Identity {
	if ctx == nil {
		return Identity{}
	}
	var id Identity
	switch s := ctx.Value(otelSpanKey).(type) {
	case *Span:
		id = Identity{Run: s.run, Trace: s.trace, Span: s.id, Parent: s.parent, Step: !s.root}
	case trace.Span:
		if sc := s.SpanContext(); sc.IsValid() {
			id.Trace, id.Span = sc.TraceID(), sc.SpanID()
		}
	}
	if id.Run == "" {
		id.Run, _ = FieldValue(ctx, key)
	}
	return id
}

// SpanValue returns what ctx holds under OTel's span key: a milestone
// run's or step's *Span, another tracer's trace.Span, or nil. It is one
// context lookup and inlines, for a hot path that wants to know whether
// there is a span at all before SampledOf says whether it is sampled
// (prom's histograms, for their exemplars).
//
// It looks only once the process has made a milestone span (With,
// StartStep) or a tracing collector (Activate): until then it returns nil
// without touching ctx, so that code that never traces pays one load.
func SpanValue(ctx context.Context) any {
	if !active.Load() || ctx == nil {
		return nil
	}
	return ctx.Value(otelSpanKey)
}

// active is set once a span can be in a context SpanValue is asked about.
var active atomic.Bool

// Activate makes SpanValue look for spans from now on. metrics/tracing calls
// it; a program whose only spans are another tracer's (an HTTP server's,
// with no milestone run) calls it to get exemplars of them.
func Activate() { active.Store(true) }

// IDs returns the trace and span ids of the span ctx holds (a milestone
// run's or step's, or any tracer's valid span), and false when it holds
// none: what a log line carries. It is one context lookup; for milestone's
// own spans it builds no span context.
func IDs(ctx context.Context) (trace.TraceID, trace.SpanID, bool) {
	if ctx == nil {
		return trace.TraceID{}, trace.SpanID{}, false
	}
	switch s := ctx.Value(otelSpanKey).(type) {
	case *Span:
		return s.trace, s.id, true
	case trace.Span:
		if sc := s.SpanContext(); sc.IsValid() {
			return sc.TraceID(), sc.SpanID(), true
		}
	}
	return trace.TraceID{}, trace.SpanID{}, false
}

// SampledOf returns the span context of v, what SpanValue returned, when it
// is a sampled span.
func SampledOf(v any) (trace.SpanContext, bool) {
	switch s := v.(type) {
	case *Span:
		if s.flags.IsSampled() {
			return s.SpanContext(), true
		}
	case trace.Span:
		if sc := s.SpanContext(); sc.IsSampled() {
			return sc, true
		}
	}
	return trace.SpanContext{}, false
}
