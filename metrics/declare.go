package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"sync/atomic"
)

// Spec is what Declare needs besides the event's struct: everything about
// the event that is not one of its fields.
type Spec struct {
	// Code is the event's stable code, at least 1 and unique within the
	// catalog. Codes are never renumbered: they may be stored.
	Code uint16
	// Wire is the stable wire name, unique within the catalog: one or more
	// snake_case words joined by dots, such as "write.shard.completed" or
	// "query_ended".
	Wire string
	// Group is the part of the pipeline that emits the event.
	Group Group
	// Help says in one sentence what happened when the event is emitted.
	Help string
	// Level is the level the event is logged at (slog.LevelInfo, the zero
	// value, unless set).
	Level slog.Level
	// LevelBy names a label field declared with values=, and Levels maps
	// some of its values to the level an event with that value is logged
	// at: a step{status} event logged at slog.LevelError when its status is
	// "error". Other values, and the overflow value, keep Level. See
	// docs/design/level-by-value.md.
	LevelBy string
	Levels  map[string]slog.Level
	// Message is a one-line human message; {field} is replaced by the
	// field's value ("shard {db_id} written: {row_count} rows"). Empty: the
	// wire name.
	Message string
	// EndsRun marks the last event a run emits.
	EndsRun bool
	// Instruments lists the metrics the event feeds; at least one.
	Instruments []Instrument
	// Work says what the event tells of its run's progress (see Work);
	// most events say nothing.
	Work []Work
}

// EventType is a declared event whose fields are the struct T: the handle
// Declare returns. Its Emit packs a T into a Payload and hands it to a
// Collector, with no reflection and no allocation.
type EventType[T any] struct {
	d *Descriptor
}

var wireRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

// Declare adds the event whose fields are the struct T to catalog cat, so
// that every collector built afterwards carries it (collectors built before
// ignore it, as the Collector contract requires). Call it at program start,
// usually through MustDeclare in a package-level variable:
//
//	type QueryEnded struct {
//		Duration time.Duration `milestone:"duration_ms,duration"`
//		Status   string        `milestone:"status,label,values=ok|error|cancelled"`
//	}
//
//	var queryEnded = metrics.MustDeclare[QueryEnded](catalog, metrics.Spec{
//		Code: 11, Wire: "query_ended", Group: "query", Help: "A query ended.",
//		Message: "query ended {status} in {duration_ms} ms",
//		EndsRun: true,
//		Instruments: []metrics.Instrument{
//			metrics.Count("queries_total", "Queries ended.", "status"),
//			metrics.Hist("query_duration_seconds", "Query time, in seconds.", "duration_ms", buckets),
//		},
//	})
//
// Every exported field of T is a field of the event, in order: integers,
// floats, booleans, time.Duration (its name ends in _ms, _s or _seconds, the
// unit logs use) and strings. The tag `milestone:"name,options"` sets the
// wire name (default: SnakeCase of the Go name) and options: label with
// values=a|b|c or cap=N; elapsed, duration or cpu for the durations the
// timing helpers fill; "-" leaves the field out. An event has at most
// NumSlots numeric and StrSlots string fields.
//
// Declare returns an error naming the event and the rule it breaks; nothing
// is declared then.
func Declare[T any](cat *Catalog, s Spec) (*EventType[T], error) {
	t := reflect.TypeFor[T]()
	d, err := declare(cat, t, s)
	if err != nil {
		return nil, fmt.Errorf("metrics: Declare[%s](%q): %w", t, s.Wire, err)
	}
	return &EventType[T]{d: d}, nil
}

// MustDeclare is Declare for package-level variables: it panics at program
// start when the declaration is invalid, never during Emit.
func MustDeclare[T any](cat *Catalog, s Spec) *EventType[T] {
	e, err := Declare[T](cat, s)
	if err != nil {
		panic(err)
	}
	return e
}

func declare(cat *Catalog, t reflect.Type, s Spec) (*Descriptor, error) {
	if cat == nil {
		return nil, errors.New("nil catalog")
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("an event type must be a struct, not %s", t.Kind())
	}
	d := &Descriptor{
		Catalog: cat, Code: s.Code, Name: t.Name(), Wire: s.Wire, Group: s.Group, Help: s.Help,
		Level: s.Level, Message: s.Message, EndsRun: s.EndsRun, goType: t,
	}
	if err := d.buildFields(t); err != nil {
		return nil, err
	}
	if err := d.buildLevels(s.LevelBy, s.Levels); err != nil {
		return nil, err
	}
	switch {
	case s.Code == 0:
		return nil, errors.New("code 0 is not a valid code")
	case !wireRE.MatchString(s.Wire):
		return nil, errors.New("the wire name must be snake_case words joined by dots, such as export.finished")
	case s.Help == "" || s.Group == "":
		return nil, errors.New("Group and Help are required")
	case len(s.Instruments) == 0:
		return nil, errors.New("an event must feed at least one instrument")
	}
	if s.Message != "" {
		var err error
		if d.template, err = parseTemplate(s.Message, d); err != nil {
			return nil, err
		}
	}
	for _, in := range s.Instruments {
		in := in
		in.Labels = slices.Clone(in.Labels)
		in.Buckets = slices.Clone(in.Buckets)
		if err := in.resolve(d); err != nil {
			return nil, fmt.Errorf("instrument %q: %w", in.Name, err)
		}
		d.Instruments = append(d.Instruments, &in)
	}
	for i, w := range s.Work {
		if err := w.resolve(d); err != nil {
			return nil, fmt.Errorf("work %d (stage %q): %w", i, w.Stage, err)
		}
		d.Work = append(d.Work, w)
	}

	catalogMu.Lock()
	defer catalogMu.Unlock()
	r := declared.Load()
	if err := r.checkJoin(d); err != nil {
		return nil, err
	}
	// After checkJoin, which points a label shared with another event of
	// the catalog at that event's value set: the plan resolves through
	// the same set that backends read values from.
	d.plan = newPackPlan(d.Fields)
	if len(r.byEvent) > int(^Event(0)) {
		return nil, errors.New("too many events declared in this process")
	}
	d.Event = Event(len(r.byEvent))
	declared.Store(r.with(d))
	return d, nil
}

// buildFields maps the struct's exported fields to payload slots.
func (d *Descriptor) buildFields(t reflect.Type) error {
	var nums, strs int
	roles := map[Role]string{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Tag.Get("milestone") == "-" {
			continue
		}
		f, err := parseField(sf)
		if err != nil {
			return err
		}
		if _, dup := d.Field(f.Name); dup {
			return fmt.Errorf("field name %q used twice", f.Name)
		}
		if f.Role != 0 {
			if prev, ok := roles[f.Role]; ok {
				return fmt.Errorf("fields %s and %s both have the same timing role", prev, f.GoName)
			}
			roles[f.Role] = f.GoName
		}
		if f.Kind.numeric() {
			f.slot, nums = uint8(nums), nums+1
		} else {
			f.slot, strs = uint8(strs), strs+1
		}
		d.Fields = append(d.Fields, f)
	}
	if nums > NumSlots || strs > StrSlots {
		return fmt.Errorf("%d numeric and %d string fields; an event has at most %d and %d", nums, strs, NumSlots, StrSlots)
	}
	return nil
}

// checkJoin checks that d can join its catalog: a new type, code and wire
// name, and instruments and labels that agree with those of the same name.
func (r *registry) checkJoin(d *Descriptor) error {
	if prev, ok := r.byType[typeKey(d.goType)]; ok {
		return fmt.Errorf("type %s is already declared as %s", d.goType, prev.Wire)
	}
	labels := map[string]*Label{}
	for _, other := range r.byEvent[1:] {
		if other.Catalog != d.Catalog {
			continue
		}
		switch {
		case other.Code == d.Code:
			return fmt.Errorf("code %d is already used by event %s", d.Code, other.Wire)
		case other.Wire == d.Wire:
			return fmt.Errorf("wire name %q is already used by the event of code %d", d.Wire, other.Code)
		}
		for _, f := range other.Fields {
			if f.Label != nil {
				labels[f.Name] = f.Label
			}
		}
		for _, in := range d.Instruments {
			for _, o := range other.Instruments {
				if o.Name == in.Name && !sameDeclaration(o, in) {
					return fmt.Errorf("instrument %q is already declared differently by %s", in.Name, other.Wire)
				}
			}
		}
	}
	// A label name means one bounded set in a catalog: events share it, so
	// a capped label admits the same values for all of them.
	for _, f := range d.Fields {
		prev, ok := labels[f.Name]
		if f.Label == nil || !ok {
			continue
		}
		if prev.Cap != f.Label.Cap || !slices.Equal(prev.Values, f.Label.Values) {
			return fmt.Errorf("label %q is declared differently by another event of the catalog", f.Name)
		}
		f.Label = prev
	}
	return nil
}

// Descriptor returns the event's declaration.
func (e *EventType[T]) Descriptor() *Descriptor { return e.d }

// Event returns the event's handle.
func (e *EventType[T]) Event() Event { return e.d.Event }

// String returns the event's wire name.
func (e *EventType[T]) String() string { return e.d.Wire }

// Pack returns the payload of v.
func (e *EventType[T]) Pack(v T) Payload {
	var p Payload
	packOf(e.d, &v, &p)
	return p
}

// Unpack returns the T whose payload is p: Pack's inverse, for code that
// reads recorded events back (tests, readers of stored events).
func (e *EventType[T]) Unpack(p Payload) T {
	var v T
	unpackInto(e.d, &p, &v)
	return v
}

// Emit sends v to c. It allocates nothing; c must not be nil.
func (e *EventType[T]) Emit(ctx context.Context, c Collector, v T) {
	var p Payload
	packOf(e.d, &v, &p)
	c.Emit(ctx, e.d.Event, p)
}

// TypeOf returns the declaration of the event whose struct is T, and nil
// when T was not declared. Hot paths look it up once and call its Emit.
func TypeOf[T any]() *EventType[T] {
	d := descriptorOf[T]()
	if d == nil {
		return nil
	}
	return &EventType[T]{d: d}
}

// Emit sends the event v to c: the struct's type says which event it is.
// It allocates nothing. An event of a type never declared is not sent, and
// is counted (Undeclared); a nil c is a no-op.
//
//	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: d})
func Emit[T any](ctx context.Context, c Collector, v T) {
	d := descriptorOf[T]()
	if d == nil {
		undeclared.Add(1)
		return
	}
	if c == nil {
		return
	}
	var p Payload
	packOf(d, &v, &p)
	c.Emit(ctx, d.Event, p)
}

var undeclared atomic.Uint64

// Undeclared returns how many events Emit did not send because their type
// was never declared.
func Undeclared() uint64 { return undeclared.Load() }

// descriptorOf returns the descriptor of the event whose struct is T, or nil.
func descriptorOf[T any]() *Descriptor {
	return declared.Load().byType[typeKey(reflect.TypeFor[T]())]
}
