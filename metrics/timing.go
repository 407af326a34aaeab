package metrics

import (
	"context"
	"time"
)

// Run is the clock of one run of a pipeline (a write, a reader's life): every
// event emitted through it carries Payload.Elapsed, the time since the run
// started. It is the Go form of flytekit's timeit, split into a run clock and
// the steps timed against it.
//
// A Run with a nil Collector costs one comparison per event and emits nothing.
// A Collector that panics is isolated as by Multi, so timing code never turns
// a collector's fault into the caller's.
type Run struct {
	c     Collector
	start time.Time
}

// StartRun starts the clock of a run whose events go to c (which may be nil).
func StartRun(c Collector) Run {
	if c == nil {
		return Run{start: time.Now()}
	}
	if _, isolated := c.(*Fanout); !isolated && c != Nop {
		c = Multi(c)
	}
	return Run{c: c, start: time.Now()}
}

// Elapsed returns the time since the run started.
func (r Run) Elapsed() time.Duration { return time.Since(r.start) }

// Emit sends ev with p.Elapsed set to the time since the run started.
func (r Run) Emit(ctx context.Context, ev Event, p Payload) {
	if r.c == nil {
		return
	}
	p.Elapsed = time.Since(r.start)
	r.c.Emit(ctx, ev, p)
}

// Step starts timing one step of the run.
func (r Run) Step() Step { return Step{run: r, start: time.Now()} }

// Step is one timed step of a Run: ending it fills Payload.Duration with the
// step's duration and Payload.Elapsed with the run's.
type Step struct {
	run   Run
	start time.Time
}

// Duration returns the time since the step started.
func (s Step) Duration() time.Duration { return time.Since(s.start) }

// End emits ev with p.Duration set to the step's duration and p.Elapsed to
// the run's, and returns the step's duration.
func (s Step) End(ctx context.Context, ev Event, p Payload) time.Duration {
	d := time.Since(s.start)
	if s.run.c != nil {
		p.Duration = d
		s.run.Emit(ctx, ev, p)
	}
	return d
}

// Done ends the step as End does when err is nil, and emits nothing when err
// is not nil (a failed step did not complete). It returns err unchanged, so a
// step ends in one line:
//
//	return step.Done(ctx, metrics.ShardWriteCompleted, metrics.Payload{DBID: id, Rows: n}, err)
func (s Step) Done(ctx context.Context, ev Event, p Payload, err error) error {
	if err == nil {
		s.End(ctx, ev, p)
	}
	return err
}
