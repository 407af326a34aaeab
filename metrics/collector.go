package metrics

import (
	"context"
	"errors"
)

// Collector receives the lifecycle events of a pipeline. It is the one
// interface every backend implements and every writer and reader calls.
//
// The contract, checked for any implementation by collectortest.Run:
//
//   - Emit is synchronous: when it returns, the event has been recorded or
//     handed off (a backend that writes to a slow sink queues, it never makes
//     the caller wait on the sink).
//   - Emit is safe for concurrent use by any number of goroutines.
//   - Emit never panics into the caller, whatever the event and payload.
//   - Emit ignores an event it does not know: a value never declared, one of
//     a catalog the collector does not carry, or one declared after the
//     collector was built.
//   - Emit reads the payload only through the event's declared Fields; a
//     slot no field maps to is never read.
//   - A cancelled context does not stop the event from being recorded;
//     collectors may read values bound to the context (such as a run id).
//
// A nil Collector is not valid; use Nop. A collector with resources to release
// or buffers to write out also implements Flusher and Closer.
type Collector interface {
	Emit(ctx context.Context, ev Event, p Payload)
}

// Flusher is implemented by a collector that buffers: Flush writes out every
// event accepted so far, or returns when ctx is done.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Closer is implemented by a collector that holds resources. Close flushes
// what it buffered and releases them; Emit after Close is ignored, never a
// panic.
type Closer interface {
	Close() error
}

// Shutdowner is implemented by a collector whose Close can wait on
// something outside the process (an exporter, a server): Shutdown is Close
// bounded by ctx; what it could not finish by then is lost and counted.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}

// Nop is a Collector that does nothing. Use it where a Collector is required
// and no metrics are wanted.
var Nop Collector = &nop{}

// nop has a pointer receiver so that the interface's method table points
// straight at Emit, which compiles to a bare return; with a value receiver
// Go calls it through a generated wrapper that sets up a frame and checks
// for a nil receiver on every event.
type nop struct{}

func (*nop) Emit(context.Context, Event, Payload) {}

// Flush flushes c when it implements Flusher, and returns nil otherwise.
func Flush(ctx context.Context, c Collector) error {
	if f, ok := c.(Flusher); ok {
		return f.Flush(ctx)
	}
	return nil
}

// Shutdown flushes c and closes it, all within ctx: through its Shutdown
// method when it has one (Shutdowner), else Flush(ctx) then Close. It is how
// a program stops its collectors within a deadline, whatever state their
// exporters and servers are in; what Multi returns shuts its members down
// the same way.
func Shutdown(ctx context.Context, c Collector) error {
	if s, ok := c.(Shutdowner); ok {
		return s.Shutdown(ctx)
	}
	return errors.Join(Flush(ctx, c), Close(c))
}

// Close closes c when it implements Closer, and returns nil otherwise.
func Close(c Collector) error {
	if cl, ok := c.(Closer); ok {
		return cl.Close()
	}
	return nil
}
