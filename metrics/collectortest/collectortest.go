package collectortest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

// Goroutines is the number of goroutines the concurrency check emits from.
const Goroutines = 32

// Unknown lists the Event values the suite emits to check that a collector
// ignores events that were never declared.
var Unknown = []metrics.Event{0, 9999, ^metrics.Event(0)}

// FullPayload returns a payload of d with every field set to a value that is
// not zero: integers 3, floats 0.5, booleans true, durations 1.5 s, strings
// "x", labels their first declared value (or "x" for a capped one).
func FullPayload(d *metrics.Descriptor) metrics.Payload {
	var p metrics.Payload
	for _, f := range d.Fields {
		switch f.Kind {
		case metrics.KindInt:
			p.SetInt(f, 3)
		case metrics.KindFloat:
			p.SetFloat(f, 0.5)
		case metrics.KindBool:
			p.SetBool(f, true)
		case metrics.KindDuration:
			p.SetDuration(f, 1500*time.Millisecond)
		case metrics.KindString:
			v := "x"
			if f.Label != nil && len(f.Label.Values) > 0 {
				v = f.Label.Values[0]
			}
			p.SetStr(f, v)
		}
	}
	return p
}

// Hostile lists the strings the suite emits in string fields and labels:
// JSON and Prometheus metacharacters, invalid UTF-8, control characters, a
// long value and the empty string.
var Hostile = []string{
	"", `"quoted"`, "back\\slash", "new\nline", "tab\t", "\x00nul", "\xff\xfeinvalid", "ünïcødé",
	"}{,:", "le", OverflowLike, strings.Repeat("long", 2048),
}

// OverflowLike is the overflow value itself, emitted as a value.
const OverflowLike = metrics.OverflowValue

// Run checks that the collectors made by newCollector honour the
// metrics.Collector contract for every declared event of every catalog:
// built-in ones, the suite's own (Catalog, with strings and labels) and the
// caller's. Each check runs as a subtest on a fresh collector, which the
// suite flushes and closes when the check ends.
func Run(t *testing.T, newCollector func() metrics.Collector) {
	t.Helper()
	checks := []struct {
		name   string
		check  func(t *testing.T, c metrics.Collector)
		closes bool // the check closes the collector itself
	}{
		{"ZeroPayload", zeroPayload, false},
		{"FullPayload", fullPayload, false},
		{"HostileStrings", hostileStrings, false},
		{"LabelOverflow", labelOverflow, false},
		{"UnknownEvents", unknownEvents, false},
		{"DeclaredAfterNew", declaredAfterNew, false},
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
	for _, d := range metrics.Descriptors() {
		emit(t, c, context.Background(), d.Event, metrics.Payload{})
	}
}

func fullPayload(t *testing.T, c metrics.Collector) {
	for _, d := range metrics.Descriptors() {
		emit(t, c, context.Background(), d.Event, FullPayload(d))
	}
}

// hostileStrings emits every event with string fields once per hostile
// string, in every string field at once, and with negative numbers.
func hostileStrings(t *testing.T, c metrics.Collector) {
	for _, d := range metrics.Descriptors() {
		for _, s := range Hostile {
			p := FullPayload(d)
			for _, f := range d.Fields {
				switch f.Kind {
				case metrics.KindString:
					p.SetStr(f, s)
				case metrics.KindInt:
					p.SetInt(f, -1)
				case metrics.KindDuration:
					p.SetDuration(f, -time.Second)
				}
			}
			emit(t, c, context.Background(), d.Event, p)
		}
	}
}

// labelOverflow emits the suite's Sample with many distinct values in its
// capped label and values outside its closed set.
func labelOverflow(t *testing.T, c metrics.Collector) {
	for i := range 4 * KindCap * 25 {
		emit(t, c, context.Background(), SampleEvent.Event(), SampleEvent.Pack(Sample{
			Status: []string{"ok", "error", "cancelled", "unknown-" + strconv.Itoa(i)}[i%4],
			Kind:   "kind-" + strconv.Itoa(i),
			Count:  int64(i),
		}))
	}
}

func unknownEvents(t *testing.T, c metrics.Collector) {
	d := SampleEvent.Descriptor()
	for _, ev := range Unknown {
		emit(t, c, context.Background(), ev, FullPayload(d))
		emit(t, c, context.Background(), ev, metrics.Payload{})
	}
}

// declaredAfterNew declares Late (the first time the suite runs) after the
// collector was built and emits it: no panic, and a collector that reports
// its health counts it as ignored, declared after New.
func declaredAfterNew(t *testing.T, c metrics.Collector) {
	before, _ := ignoredAfterNew(c)
	late, declaredNow := DeclareLate()
	for i := range 3 {
		emit(t, c, context.Background(), late.Event(), late.Pack(Late{Count: int64(i)}))
	}
	if !declaredNow {
		return // declared before this collector was built: it may carry it
	}
	if got, reports := ignoredAfterNew(c); reports && got-before != 3 {
		t.Errorf("%T counted %v events declared after it was built, want 3", c, got-before)
	}
}

// ignoredAfterNew sums c's milestone_events_ignored_total{reason="declared_after_new"},
// and reports whether c reports that family at all.
func ignoredAfterNew(c metrics.Collector) (n float64, reports bool) {
	h, ok := c.(metrics.HealthReporter)
	if !ok {
		return 0, false
	}
	for _, v := range h.Health() {
		if v.Family == metrics.FamilyIgnored && v.Labels[1] == metrics.IgnoredDeclaredAfter.String() {
			n += v.Value
			reports = true
		}
	}
	return n, reports
}

func concurrent(t *testing.T, c metrics.Collector) {
	ds := metrics.Descriptors()
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
			for i := range 200 {
				d := ds[(g+i)%len(ds)]
				p := FullPayload(d)
				for _, f := range d.Fields {
					if f.Label != nil && f.Label.Cap > 0 {
						p.SetStr(f, "g"+strconv.Itoa(g))
					}
				}
				c.Emit(context.Background(), d.Event, p)
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
	for _, d := range metrics.Descriptors() {
		emit(t, c, ctx, d.Event, FullPayload(d))
	}
	deadline, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	emit(t, c, deadline, SampleEvent.Event(), FullPayload(SampleEvent.Descriptor()))
}

func flushAndClose(t *testing.T, c metrics.Collector) {
	for _, d := range metrics.Descriptors() {
		emit(t, c, context.Background(), d.Event, FullPayload(d))
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
	emit(t, c, context.Background(), SampleEvent.Event(), FullPayload(SampleEvent.Descriptor()))
}
