package metrics

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// FirstCustomEvent is the lowest code an application may give its own events;
// the codes below it are reserved for milestone's built-in catalog.
const FirstCustomEvent Event = 1000

var (
	defineMu   sync.Mutex
	wireRE     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	instNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Define adds an application's own event to the catalog, so that every
// collector built afterwards feeds its instruments like a built-in event's.
// Collectors built before Define ignore the event, as the Collector contract
// requires. Call Define at program start, before building collectors:
//
//	var ExportFinished = metrics.MustDefine(metrics.Descriptor{
//		Event: 1001, Name: "ExportFinished", Wire: "export.finished", Group: "export",
//		Help: "An export finished.", Keys: []metrics.Key{metrics.KeyDuration, metrics.KeyRowsWritten},
//		Instruments: []metrics.Instrument{{Kind: metrics.Counter, Name: "exports_total", Help: "Exports finished."}},
//	})
//
// The descriptor's Event is its stable code, at least FirstCustomEvent and not
// used before; its wire name is dotted snake_case and new; every instrument is
// valid (see Instrument) and reads only keys the event carries; an instrument
// name already in the catalog must be declared identically. Define copies d.
func Define(d Descriptor) (Event, error) {
	d = cloneDescriptor(d)
	defineMu.Lock()
	defer defineMu.Unlock()
	old := catalog.Load()
	if d.Event < FirstCustomEvent {
		return 0, fmt.Errorf("metrics: Define(%q): code %d is reserved for built-in events; use %d or above", d.Wire, d.Event, FirstCustomEvent)
	}
	if err := validate(&d, old); err != nil {
		return 0, fmt.Errorf("metrics: Define(%q): %w", d.Wire, err)
	}
	catalog.Store(old.with(&d))
	return d.Event, nil
}

// MustDefine is Define for package-level declarations: it panics when d is
// invalid, at program start, never during Emit.
func MustDefine(d Descriptor) Event {
	ev, err := Define(d)
	if err != nil {
		panic(err)
	}
	return ev
}

func cloneDescriptor(d Descriptor) Descriptor {
	d.Keys = slices.Clone(d.Keys)
	d.Instruments = slices.Clone(d.Instruments)
	for i := range d.Instruments {
		d.Instruments[i].Buckets = slices.Clone(d.Instruments[i].Buckets)
	}
	return d
}

// validate checks d against the rules every catalog event follows, given the
// catalog t it joins: a new code and wire name, names and help, valid keys,
// and instruments that read only keys the event carries.
func validate(d *Descriptor, t *table) error {
	switch {
	case d.Event == 0:
		return errors.New("code 0 is not a valid event")
	case int(d.Event) < len(t.byEvent) && t.byEvent[d.Event] != nil:
		return fmt.Errorf("code %d is already %s", d.Event, t.byEvent[d.Event].Wire)
	case !wireRE.MatchString(d.Wire):
		return errors.New("wire name must be dotted snake_case, such as export.finished")
	case d.Name == "" || d.Help == "" || d.Group == "":
		return errors.New("Name, Group and Help are required")
	case len(d.Instruments) == 0:
		return errors.New("an event must feed at least one instrument")
	}
	if prev, ok := t.byWire[d.Wire]; ok {
		return fmt.Errorf("wire name already used by code %d", prev)
	}
	for i, k := range d.Keys {
		if k.String() == "" {
			return fmt.Errorf("Keys[%d] = %d is not a payload key", i, k)
		}
		if slices.Contains(d.Keys[:i], k) {
			return fmt.Errorf("key %s listed twice", k)
		}
	}
	for i := range d.Instruments {
		if err := validateInstrument(d, &d.Instruments[i], t); err != nil {
			return fmt.Errorf("instrument %q: %w", d.Instruments[i].Name, err)
		}
	}
	return nil
}

func validateInstrument(d *Descriptor, in *Instrument, t *table) error {
	if !instNameRE.MatchString(in.Name) || in.Help == "" {
		return errors.New("needs a snake_case name and help text")
	}
	if in.Value != 0 && !d.Carries(in.Value) {
		return fmt.Errorf("reads key %s, which the event does not carry", in.Value)
	}
	if in.If != 0 && (!d.Carries(in.If) || in.If.Kind() != KindBool) {
		return fmt.Errorf("condition key %s is not a boolean key of the event", in.If)
	}
	switch in.Kind {
	case Counter:
		if !strings.HasSuffix(in.Name, "_total") || in.Unit != "" || in.Buckets != nil {
			return errors.New("a counter's name ends in _total and it has no unit or buckets")
		}
		if in.Value != 0 && in.Value.Kind() != KindInt {
			return fmt.Errorf("a counter can only add a whole-number key, not %s", in.Value)
		}
	case Histogram:
		if _, ok := (&Payload{}).Seconds(in.Value); !ok {
			return fmt.Errorf("a histogram observes a duration key, not %s", in.Value)
		}
		if !strings.HasSuffix(in.Name, "_seconds") || in.Unit != "s" {
			return errors.New("a histogram's name ends in _seconds and its unit is s")
		}
		if err := CheckBuckets(in.Buckets); err != nil {
			return fmt.Errorf("default buckets: %w", err)
		}
	default:
		return fmt.Errorf("unknown kind %d", in.Kind)
	}
	for _, other := range t.byEvent {
		if other == nil {
			continue
		}
		for j := range other.Instruments {
			o := &other.Instruments[j]
			if o.Name == in.Name && !sameDeclaration(o, in) {
				return fmt.Errorf("already declared differently by %s", other.Wire)
			}
		}
	}
	return nil
}

func sameDeclaration(a, b *Instrument) bool {
	return a.Kind == b.Kind && a.Help == b.Help && a.Unit == b.Unit && a.Value == b.Value &&
		a.If == b.If && a.IfValue == b.IfValue && slices.Equal(a.Buckets, b.Buckets)
}
