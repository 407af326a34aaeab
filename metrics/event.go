package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync/atomic"
)

// Event identifies one lifecycle event of the catalog. Its value is a stable
// code: the built-in events are numbered from 1 in catalog order and never
// renumbered, so a code may be stored or sent over the wire. The zero Event is
// not a valid event.
//
// The catalog is open: code must not assume that the built-in events are all
// there is. A backend indexes its instruments by Event and must ignore an
// Event it was not built with.
type Event uint16

// The built-in events: the documented shardyfusion lifecycle. Their wire names
// are the dotted names returned by String.
const (
	WriteStarted Event = iota + 1
	ShardingCompleted
	ShardWriteStarted
	ShardWriteCompleted
	ShardWritesCompleted
	BatchWritten
	ManifestPublished
	CurrentPublished
	WriteCompleted
	ReaderInitialized
	ReaderGet
	ReaderMultiGet
	ReaderRefreshed
	ReaderClosed
	ShardWriteRetried
	ShardWriteRetryExhausted
	S3Retry
	S3RetryExhausted
	RateLimiterThrottled
	RateLimiterDenied
)

// Group is the part of a pipeline an event belongs to.
type Group string

// The groups of the built-in catalog.
const (
	GroupWrite       Group = "write"
	GroupReader      Group = "reader"
	GroupS3          Group = "s3"
	GroupRateLimiter Group = "rate_limiter"
)

// Descriptor is the catalog's declaration of one event: everything a backend
// needs to know about it. Descriptors returned by this package are shared;
// callers must not modify their slices.
type Descriptor struct {
	// Event is the event's stable code.
	Event Event
	// Name is the Go name of the event's constant, such as "ShardWriteCompleted".
	Name string
	// Wire is the stable dotted name written to logs and event logs, such as
	// "write.shard.completed".
	Wire string
	// Group is the part of the pipeline that emits the event.
	Group Group
	// Help says in one sentence what happened when the event is emitted.
	Help string
	// Keys lists, in order, the payload keys the event carries. A key not
	// listed is never written or observed, whatever its value in the Payload.
	Keys []Key
	// Instruments lists the metrics the event feeds; every event feeds at
	// least one.
	Instruments []Instrument
	// EndsRun marks an event that is the last one a run emits, such as
	// write.completed and reader.closed. Sinks that keep state per run act on
	// it: the event log flushes and closes the run's file after writing it.
	EndsRun bool
}

// Carries reports whether the event carries payload key k.
func (d *Descriptor) Carries(k Key) bool {
	for _, have := range d.Keys {
		if have == k {
			return true
		}
	}
	return false
}

// table is one immutable snapshot of the catalog. It is replaced as a whole,
// never changed in place, so readers need no lock.
type table struct {
	byEvent []*Descriptor // indexed by Event; nil where no event is declared
	byWire  map[string]Event
	order   []Event
}

var catalog atomic.Pointer[table]

// with returns a copy of t with d added. d must have passed validate.
func (t *table) with(d *Descriptor) *table {
	n := &table{
		byEvent: slices.Clone(t.byEvent),
		byWire:  maps.Clone(t.byWire),
		order:   append(slices.Clone(t.order), d.Event),
	}
	if n.byWire == nil {
		n.byWire = map[string]Event{}
	}
	for int(d.Event) >= len(n.byEvent) {
		n.byEvent = append(n.byEvent, nil)
	}
	n.byEvent[d.Event] = d
	n.byWire[d.Wire] = d.Event
	return n
}

// init builds the catalog from the built-in table, holding the built-in
// events to the same rules as events an application defines: a mistake in
// catalog.go stops every program and test at start.
func init() {
	t := &table{}
	for i := range builtin {
		d := &builtin[i]
		if err := validate(d, t); err != nil {
			panic(fmt.Sprintf("metrics: built-in event %s: %v", d.Wire, err))
		}
		t = t.with(d)
	}
	catalog.Store(t)
}

// Describe returns the catalog's descriptor of ev, and false when ev is not
// in the catalog.
func Describe(ev Event) (*Descriptor, bool) {
	t := catalog.Load()
	if int(ev) >= len(t.byEvent) {
		return nil, false
	}
	d := t.byEvent[ev]
	return d, d != nil
}

// Lookup returns the event whose wire name is wire, such as
// "write.shard.completed".
func Lookup(wire string) (Event, bool) {
	ev, ok := catalog.Load().byWire[wire]
	return ev, ok
}

// Events lists every event of the catalog in catalog order. The slice is a
// fresh copy the caller may keep.
func Events() []Event {
	order := catalog.Load().order
	return append([]Event(nil), order...)
}

// Known reports whether ev is declared in the catalog.
func (ev Event) Known() bool {
	_, ok := Describe(ev)
	return ok
}

// String returns the event's wire name, such as "write.shard.completed", or
// "Event(N)" for a value outside the catalog.
func (ev Event) String() string {
	if d, ok := Describe(ev); ok {
		return d.Wire
	}
	return "Event(" + strconv.Itoa(int(ev)) + ")"
}

// Keys returns the payload keys ev carries, in order, or nil for an event
// outside the catalog. The slice is shared and must not be modified.
func (ev Event) Keys() []Key {
	if d, ok := Describe(ev); ok {
		return d.Keys
	}
	return nil
}
