package metrics

import (
	"context"
	"time"
)

// Run is the clock of one run of a pipeline (a write, a reader's life, a
// query, a task): a Collector that stamps every event it forwards with the
// time since the run started, in the event's elapsed field (tag option
// elapsed). It is the Go form of flytekit's timeit, split into a run clock
// and the steps timed against it.
//
// A Run with a nil Collector emits nothing. A Collector that panics is
// isolated as by Multi, so timing code never turns a collector's fault into
// the caller's.
type Run struct {
	c     Collector
	start time.Time
}

// StartRun starts the clock of a run whose events go to c (which may be nil).
func StartRun(c Collector) *Run {
	if c != nil {
		if _, isolated := c.(*Fanout); !isolated && c != Nop {
			c = Multi(c)
		}
	}
	return &Run{c: c, start: time.Now()}
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

// Step starts timing one step of the run.
func (r *Run) Step() Step { return Step{run: r, start: time.Now()} }

// StepCPU starts timing one step of the run, wall time and the process's
// CPU time, for events with a cpu field. Reading the CPU clock is a system
// call at the start and at the end of the step.
func (r *Run) StepCPU() Step {
	return Step{run: r, start: time.Now(), cpu: processCPU(), withCPU: true}
}

// Step is one timed step of a Run. End and Done emit its event with the
// duration field (tag option duration) set to the step's wall time, the cpu
// field to the process CPU time spent in it (StepCPU only) and the elapsed
// field to the run's time.
type Step struct {
	run     *Run
	start   time.Time
	cpu     time.Duration
	withCPU bool
}

// Duration returns the wall time since the step started.
func (s Step) Duration() time.Duration { return time.Since(s.start) }

// End emits v through the step's run with its timing fields filled, and
// returns the step's wall time:
//
//	step := run.Step()
//	n := writeShard()
//	metrics.End(ctx, step, shardyfusion.ShardWriteCompleted{DBID: id, Rows: n})
func End[T any](ctx context.Context, s Step, v T) time.Duration {
	d := time.Since(s.start)
	if s.run == nil || s.run.c == nil {
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
	if f := desc.role(RoleCPU); f != nil && s.withCPU {
		p.SetDuration(f, processCPU()-s.cpu)
	}
	s.run.Emit(ctx, desc.Event, p)
	return d
}

// Done ends the step as End does when err is nil, and emits nothing when
// err is not nil (a failed step did not complete). It returns err unchanged,
// so a step ends in one line:
//
//	return metrics.Done(ctx, step, shardyfusion.ShardWriteCompleted{DBID: id, Rows: n}, err)
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
