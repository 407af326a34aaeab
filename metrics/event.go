package metrics

import (
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
)

// Event identifies one declared event inside this process. It is a small
// dense number handed out by Declare in declaration order, so that backends
// index their per-event state by it. Which number an event gets depends on
// the order the program's catalogs are declared in (package initialisation
// order), so it is never written anywhere. The zero Event is not a valid
// event.
//
// An Event is not a wire identity: what is stable across programs and
// versions is the pair (Catalog namespace, Descriptor.Code), or the wire
// name within the catalog. A backend must ignore an Event it was not built
// with.
type Event uint16

// Group is the part of a pipeline an event belongs to, such as "write".
type Group string

// Descriptor is the declaration of one event, as Declare built it from the
// event's struct and Spec: everything a backend needs to know. Descriptors
// are shared; callers must not modify them or their slices.
type Descriptor struct {
	// Event is the event's process-local handle.
	Event Event
	// Catalog is the catalog the event was declared in.
	Catalog *Catalog
	// Code is the event's stable code, unique within its catalog.
	Code uint16
	// Name is the name of the event's Go type, such as "ShardWriteCompleted".
	Name string
	// Wire is the stable dotted snake_case name written to logs and event
	// logs, such as "write.shard.completed", unique within its catalog.
	Wire string
	// Group is the part of the pipeline that emits the event.
	Group Group
	// Help says in one sentence what happened when the event is emitted.
	Help string
	// Level is the level the event is logged at as a log line, unless
	// LevelBy's value says otherwise (LevelOf).
	Level slog.Level
	// LevelBy is the closed-set label whose values can change the level
	// (Spec.LevelBy), or nil.
	LevelBy *Field
	// Message is the event's one-line human message template; see Render.
	Message string
	// EndsRun marks an event that is the last one a run emits, such as
	// write.completed: sinks that keep state per run act on it (the event
	// log flushes and closes the run's file after writing it).
	EndsRun bool
	// Fields lists the event's fields in the struct's order.
	Fields []*Field
	// Instruments lists the metrics the event feeds, at least one.
	Instruments []*Instrument
	// Work says what the event tells of its run's progress (Spec.Work).
	Work []Work

	levels   []slog.Level // by LevelBy's label index, nil without LevelBy
	goType   reflect.Type
	template []templatePart
	plan     packPlan
}

// Field returns the event's field with wire name name.
func (d *Descriptor) Field(name string) (*Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// role returns the duration field with role r, or nil.
func (d *Descriptor) role(r Role) *Field {
	for _, f := range d.Fields {
		if f.Role == r {
			return f
		}
	}
	return nil
}

// registry is one immutable snapshot of every declared event. It is
// replaced as a whole, never changed in place, so readers need no lock.
type registry struct {
	byEvent  []*Descriptor // indexed by Event; byEvent[0] is nil
	byType   map[uintptr]*Descriptor
	catalogs []*Catalog
}

// declared is a pointer set by its initializer, not in init, so that it is
// ready before the package-level variables that declare events
// (Go initialises variables before init functions, in dependency order).
var declared = func() *atomic.Pointer[registry] {
	var p atomic.Pointer[registry]
	p.Store(&registry{byEvent: []*Descriptor{nil}, byType: map[uintptr]*Descriptor{}})
	return &p
}()

// with returns a copy of r with d added, as the next Event.
func (r *registry) with(d *Descriptor) *registry {
	n := &registry{
		byEvent:  append(slices.Clip(r.byEvent), d),
		byType:   maps.Clone(r.byType),
		catalogs: r.catalogs,
	}
	n.byType[typeKey(d.goType)] = d
	return n
}

// Describe returns the descriptor of ev, and false when no event ev was
// declared.
func Describe(ev Event) (*Descriptor, bool) {
	evs := declared.Load().byEvent
	if int(ev) >= len(evs) || ev == 0 {
		return nil, false
	}
	return evs[ev], true
}

// Events lists every declared event of every catalog, in declaration order.
// The slice is a fresh copy.
func Events() []Event {
	evs := declared.Load().byEvent
	out := make([]Event, 0, len(evs)-1)
	for _, d := range evs[1:] {
		out = append(out, d.Event)
	}
	return out
}

// Descriptors lists the descriptors of every declared event, in declaration
// order. It is the one way a backend that carries every catalog (the event
// log, the Recorder, ClickHouse) walks them; backends bound to one catalog
// use Catalog.Descriptors.
func Descriptors() []*Descriptor {
	return slices.Clone(declared.Load().byEvent[1:])
}

// Known reports whether ev was declared.
func (ev Event) Known() bool {
	_, ok := Describe(ev)
	return ok
}

// String returns the event's wire name, such as "write.shard.completed", or
// "Event(N)" for a value that was not declared.
func (ev Event) String() string {
	if d, ok := Describe(ev); ok {
		return d.Wire
	}
	return "Event(" + strconv.Itoa(int(ev)) + ")"
}
