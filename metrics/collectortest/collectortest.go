package collectortest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Goroutines is the number of goroutines the concurrency check emits from.
const Goroutines = 32

// Unknown lists the Event values the suite emits to check that a collector
// ignores events outside its catalog.
var Unknown = []metrics.Event{0, 9999, ^metrics.Event(0)}

// FullPayload returns a payload with every field set to a non-zero value, so
// that a collector reading a key the event does not carry would see it.
func FullPayload() metrics.Payload {
	return metrics.Payload{
		Elapsed:    1500 * time.Millisecond,
		Duration:   250 * time.Millisecond,
		DBID:       3,
		Rows:       5000,
		BatchSize:  500,
		Found:      true,
		Keys:       16,
		Changed:    true,
		Handles:    8,
		Attempt:    2,
		Attempts:   5,
		MaxRetries: 4,
		Backoff:    100 * time.Millisecond,
		Delay:      200 * time.Millisecond,
		Wait:       50 * time.Millisecond,
		Tokens:     10,
	}
}

// Run checks that the collectors made by newCollector honour the
// metrics.Collector contract. Each check runs as a subtest on a fresh
// collector, which the suite flushes and closes when the check ends.
func Run(t *testing.T, newCollector func() metrics.Collector) {
	t.Helper()
	checks := []struct {
		name   string
		check  func(t *testing.T, c metrics.Collector)
		closes bool // the check closes the collector itself
	}{
		{"ZeroPayload", zeroPayload, false},
		{"FullPayload", fullPayload, false},
		{"UnknownEvents", unknownEvents, false},
		{"Concurrent", concurrent, false},
		{"CancelledContext", cancelledContext, false},
		{"FlushAndClose", flushAndClose, true},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			c := newCollector()
			if c == nil {
				t.Fatal("newCollector returned nil")
			}
			t.Cleanup(func() {
				if ch.closes {
					return
				}
				if err := metrics.Close(c); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			ch.check(t, c)
		})
	}
}

// emit calls c.Emit and turns a panic into a test failure naming the event.
func emit(t *testing.T, c metrics.Collector, ctx context.Context, ev metrics.Event, p metrics.Payload) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Emit(%v) panicked: %v", ev, r)
		}
	}()
	c.Emit(ctx, ev, p)
}

func zeroPayload(t *testing.T, c metrics.Collector) {
	for _, ev := range metrics.Events() {
		emit(t, c, context.Background(), ev, metrics.Payload{})
	}
}

func fullPayload(t *testing.T, c metrics.Collector) {
	for _, ev := range metrics.Events() {
		emit(t, c, context.Background(), ev, FullPayload())
	}
}

func unknownEvents(t *testing.T, c metrics.Collector) {
	for _, ev := range Unknown {
		emit(t, c, context.Background(), ev, FullPayload())
		emit(t, c, context.Background(), ev, metrics.Payload{})
	}
}

func concurrent(t *testing.T, c metrics.Collector) {
	events := metrics.Events()
	var wg sync.WaitGroup
	panics := make(chan string, Goroutines)
	for g := range Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panics <- fmt.Sprint(r)
				}
			}()
			p := FullPayload()
			p.DBID = g
			for i := range 200 {
				c.Emit(context.Background(), events[(g+i)%len(events)], p)
			}
		}()
	}
	wg.Wait()
	close(panics)
	for r := range panics {
		t.Errorf("concurrent Emit panicked: %s", r)
	}
}

func cancelledContext(t *testing.T, c metrics.Collector) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ev := range metrics.Events() {
		emit(t, c, ctx, ev, FullPayload())
	}
	deadline, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	emit(t, c, deadline, metrics.WriteStarted, FullPayload())
}

func flushAndClose(t *testing.T, c metrics.Collector) {
	for _, ev := range metrics.Events() {
		emit(t, c, context.Background(), ev, FullPayload())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := metrics.Flush(ctx, c); err != nil {
		t.Errorf("Flush: %v", err)
	}
	if err := metrics.Close(c); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Emit after Close must be ignored, not a panic.
	emit(t, c, context.Background(), metrics.WriteStarted, FullPayload())
}
