package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
)

// Multi returns a Collector that sends every event to each of cs in order.
// Nil members, typed nil pointers included (a *eventlog.Collector left nil
// when its option was off), are skipped; with no members left it returns
// Nop.
//
// A member that panics is isolated: the panic is recovered, counted (see
// Fanout.Panics) and reported once per member through slog.Default, and the
// members after it still receive the event. The returned collector forwards
// Flush and Close to the members that implement them and joins their errors.
func Multi(cs ...Collector) Collector {
	members := make([]Collector, 0, len(cs))
	for _, c := range cs {
		if !isNil(c) {
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
	for next := 0; next < len(f.members); {
		next = f.emitFrom(next, ctx, ev, p)
	}
}

// emitFrom sends the event to the members from start on and returns
// len(f.members), or, when member i panics, records the panic and returns
// i+1 so that Emit resumes with the next member. One deferred recover covers
// the whole loop, so isolation costs one defer per event, not one per member.
func (f *Fanout) emitFrom(start int, ctx context.Context, ev Event, p Payload) (next int) {
	i := start
	defer func() {
		if r := recover(); r != nil {
			f.recordPanic(i, ev, r)
			next = i + 1
		}
	}()
	for ; i < len(f.members); i++ {
		f.members[i].Emit(ctx, ev, p)
	}
	return i
}

func (f *Fanout) recordPanic(i int, ev Event, r any) {
	f.panics.Add(1)
	f.reported[i].Do(func() {
		slog.Default().Error("milestone: collector panicked; further panics of this collector are counted, not logged",
			"collector", fmt.Sprintf("%T", f.members[i]), "event", ev.String(), "panic", fmt.Sprint(r))
	})
}

// Panics returns how many times a member has panicked in Emit.
func (f *Fanout) Panics() uint64 { return f.panics.Load() }

// Members returns the collectors f sends events to, in order (Grouper).
func (f *Fanout) Members() []Collector { return slices.Clone(f.members) }

// Health reports the panics recovered from members, as
// milestone_collector_panics_total{collector="multi"}; the members report
// their own health (selfmetrics reaches them through Members).
func (f *Fanout) Health() []HealthValue {
	return []HealthValue{FamilyPanics.Count(f.panics.Load(), "multi")}
}

// isNil reports whether c is nil or a nil pointer, map, func or channel
// behind the interface.
func isNil(c Collector) bool {
	if c == nil {
		return true
	}
	switch v := reflect.ValueOf(c); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}

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

// Shutdown shuts every member down within ctx (see metrics.Shutdown), all
// at once, so that one slow member does not use up the others' time, and
// returns their errors joined. It returns when ctx is done even if a member
// has not returned yet (one that ignores ctx), naming it in the error.
func (f *Fanout) Shutdown(ctx context.Context) error {
	errs := make([]error, len(f.members))
	finished := make([]atomic.Bool, len(f.members))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range f.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Shutdown(ctx, c)
			finished[i].Store(true)
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return errors.Join(errs...)
	case <-ctx.Done():
	}
	var out []error
	for i, c := range f.members {
		if finished[i].Load() {
			out = append(out, errs[i])
		} else {
			out = append(out, fmt.Errorf("metrics: %T did not shut down in time: %w", c, ctx.Err()))
		}
	}
	return errors.Join(out...)
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
