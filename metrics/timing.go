package metrics

import (
	"context"
	"time"

	"github.com/milestone-go/milestone/metrics/runctx"
)

// Run is one run of a pipeline (a write, a reader's life, a query, a
// task): its identity, which travels in the context StartRun returns (a
// trace of its own, see metrics/runctx), and its clock, a Collector that
// stamps every event it forwards with the time since the run started, in
// the event's elapsed field (tag option elapsed). It is the Go form of
// flytekit's timeit, split into a run clock and the steps timed against
// it.
//
// A Run with a nil Collector emits nothing. A Collector that panics is
// isolated as by Multi, so timing code never turns a collector's fault into
// the caller's.
type Run struct {
	c     Collector
	start time.Time
}

// StartRun starts a run whose events go to c (which may be nil) and returns
// the context its events and steps are emitted in. The run is the one ctx
// holds (bound with runctx.With, or started by an outer StartRun); when ctx
// holds none, a new one with a fresh id (runctx.NewID), which a run_id
// field bound with logctx.With names instead when there is one. To start a
// run inside another, bind its id with runctx.With first.
func StartRun(ctx context.Context, c Collector) (context.Context, *Run) {
	if c != nil {
		if _, isolated := c.(*Fanout); !isolated && c != Nop {
			c = Multi(c)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if runctx.SpanOf(ctx) == nil {
		id, ok := runctx.ID(ctx)
		if !ok {
			id = runctx.NewID()
		}
		ctx = runctx.With(ctx, id)
	}
	return ctx, &Run{c: c, start: time.Now()}
}

// Elapsed returns the time since the run started.
func (r *Run) Elapsed() time.Duration { return time.Since(r.start) }

// Emit forwards the event with its elapsed field set to the time since the
// run started, overriding what the caller set. Events without an elapsed
// field pass unchanged.
func (r *Run) Emit(ctx context.Context, ev Event, p Payload) {
	if r.c == nil {
		return
	}
	if d, ok := Describe(ev); ok {
		if f := d.role(RoleElapsed); f != nil {
			p.SetDuration(f, time.Since(r.start))
		}
	}
	r.c.Emit(ctx, ev, p)
}

// Step starts one step of the run: it returns the context of the step,
// which holds the step's span, a child of the span in ctx (the run's, or an
// enclosing step's, so steps nest), and the Step that End and Done time.
// Events emitted in the step's context, and steps started from it, belong
// to the step. It costs one allocation (the context).
func (r *Run) Step(ctx context.Context) (context.Context, Step) {
	ctx, sp := runctx.StartStep(ctx)
	return ctx, Step{run: r, start: time.Now(), ctx: ctx, span: sp}
}

// StepCPU is Step timing the process's CPU time too, for events with a cpu
// field. Reading the CPU clock is a system call at the start and at the end
// of the step.
func (r *Run) StepCPU(ctx context.Context) (context.Context, Step) {
	ctx, s := r.Step(ctx)
	s.cpu, s.withCPU = processCPU(), true
	return ctx, s
}

// Step is one timed step of a Run. End and Done emit its event in the
// step's context with the duration field (tag option duration) set to the
// step's wall time, the cpu field to the process CPU time spent in it
// (StepCPU only) and the elapsed field to the run's time.
type Step struct {
	run     *Run
	start   time.Time
	cpu     time.Duration
	withCPU bool
	ctx     context.Context
	span    *runctx.Span
}

// Context returns the step's context (see Run.Step).
func (s Step) Context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// Duration returns the wall time since the step started.
func (s Step) Duration() time.Duration { return time.Since(s.start) }

// End emits v through the step's run with its timing fields filled, in the
// step's context (ctx when it holds the step's span, with what it added;
// else the context Step returned, so the event carries the step's identity
// whatever the caller passes), and returns the step's wall time:
//
//	ctx, step := run.Step(ctx)
//	n := writeShard(ctx)
//	metrics.End(ctx, step, shardyfusion.ShardWriteCompleted{DBID: id, Rows: n})
func End[T any](ctx context.Context, s Step, v T) time.Duration {
	d := time.Since(s.start)
	if s.run == nil || s.run.c == nil {
		return d
	}
	if s.span != nil && runctx.SpanOf(ctx) != s.span {
		ctx = s.ctx
	}
	desc := descriptorOf[T]()
	if desc == nil {
		undeclared.Add(1)
		return d
	}
	var p Payload
	packOf(desc, &v, &p)
	if f := desc.role(RoleDuration); f != nil {
		p.SetDuration(f, d)
	}
	if f := desc.role(RoleCPU); f != nil && s.withCPU {
		p.SetDuration(f, processCPU()-s.cpu)
	}
	s.run.Emit(ctx, desc.Event, p)
	return d
}

// EndRun emits v, the event that ends the run (Spec.EndsRun) and carries
// its whole duration, through r in ctx (the run's context), with its
// duration field set to the run's wall time and its elapsed field to the
// same; it returns that time. metrics/tracing starts the run's span that
// long before the event:
//
//	ctx, run := metrics.StartRun(ctx, c)
//	…
//	metrics.EndRun(ctx, run, QueryEnded{Status: status})
func EndRun[T any](ctx context.Context, r *Run, v T) time.Duration {
	d := time.Since(r.start)
	if r.c == nil {
		return d
	}
	desc := descriptorOf[T]()
	if desc == nil {
		undeclared.Add(1)
		return d
	}
	var p Payload
	packOf(desc, &v, &p)
	if f := desc.role(RoleDuration); f != nil {
		p.SetDuration(f, d)
	}
	r.Emit(ctx, desc.Event, p)
	return d
}

// Done ends the step as End does when err is nil, and emits nothing when
// err is not nil (a failed step did not complete). It returns err unchanged,
// so a step ends in one line:
//
//	return metrics.Done(ctx, step, shardyfusion.ShardWriteCompleted{DBID: id, Rows: n}, err)
//
// A failed step's span is not exported by metrics/tracing; its errors are
// events in the enclosing span.
//
// An event that records the outcome either way (a status label) is emitted
// with End.
func Done[T any](ctx context.Context, s Step, v T, err error) error {
	if err == nil {
		End(ctx, s, v)
	}
	return err
}

// EventOf returns the Event of the struct type T, or 0 when T was not
// declared: metrics.EventOf[shardyfusion.ReaderGet]().
func EventOf[T any]() Event {
	if d := descriptorOf[T](); d != nil {
		return d.Event
	}
	return 0
}
