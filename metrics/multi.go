package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Multi returns a Collector that sends every event to each of cs in order.
// Nil members are skipped; with no members left it returns Nop.
//
// A member that panics is isolated: the panic is recovered, counted (see
// Fanout.Panics) and reported once per member through slog.Default, and the
// members after it still receive the event. The returned collector forwards
// Flush and Close to the members that implement them and joins their errors.
func Multi(cs ...Collector) Collector {
	members := make([]Collector, 0, len(cs))
	for _, c := range cs {
		if c != nil {
			members = append(members, c)
		}
	}
	if len(members) == 0 {
		return Nop
	}
	f := &Fanout{members: members, reported: make([]sync.Once, len(members))}
	return f
}

// Fanout is the Collector returned by Multi.
type Fanout struct {
	members  []Collector
	panics   atomic.Uint64
	reported []sync.Once
}

// Emit sends the event to every member, isolating panics.
func (f *Fanout) Emit(ctx context.Context, ev Event, p Payload) {
	for i, c := range f.members {
		f.emitOne(i, c, ctx, ev, p)
	}
}

func (f *Fanout) emitOne(i int, c Collector, ctx context.Context, ev Event, p Payload) {
	defer func() {
		if r := recover(); r != nil {
			f.panics.Add(1)
			f.reported[i].Do(func() {
				slog.Default().Error("milestone: collector panicked; further panics of this collector are counted, not logged",
					"collector", fmt.Sprintf("%T", c), "event", ev.String(), "panic", fmt.Sprint(r))
			})
		}
	}()
	c.Emit(ctx, ev, p)
}

// Panics returns how many times a member has panicked in Emit.
func (f *Fanout) Panics() uint64 { return f.panics.Load() }

// Flush flushes every member that implements Flusher, even when an earlier
// one fails, and returns their errors joined.
func (f *Fanout) Flush(ctx context.Context) error {
	var errs []error
	for _, c := range f.members {
		if err := Flush(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every member that implements Closer, even when an earlier one
// fails, and returns their errors joined.
func (f *Fanout) Close() error {
	var errs []error
	for _, c := range f.members {
		if err := Close(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
