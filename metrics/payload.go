package metrics

import (
	"math"
	"time"
)

// The slots of a Payload: how many fields of each sort one event may have.
const (
	// NumSlots is the most numeric fields (integers, floats, booleans and
	// durations) an event may declare.
	NumSlots = 7
	// StrSlots is the most string fields (plain or labels) an event may
	// declare.
	StrSlots = 4
)

// Payload carries the values of one event as a fixed record of typed slots:
// NumSlots numeric slots, StrSlots string slots and a label index beside each
// string slot. It is what crosses Collector.Emit, passed by value; it is 128
// bytes on 64-bit (a multiple of 16, which Go copies in whole 16-byte moves,
// and a test keeps it so), and its only pointers are the strings'.
//
// Applications never build a Payload by hand: they emit their event's own
// struct (Emit, EventType.Emit), which Declare taught the package to pack.
// Backends read a payload through the event's Fields:
//
//	d, _ := metrics.Describe(ev)
//	for _, f := range d.Fields {
//		switch f.Kind {
//		case metrics.KindInt:
//			use(f.Name, p.Int(f))
//		…
//		}
//	}
//
// A slot no field of the event maps to is never read, whatever it holds.
type Payload struct {
	num [NumSlots]uint64
	lbl [StrSlots]uint16
	str [StrSlots]string
}

// Int returns the value of a KindInt field.
func (p *Payload) Int(f *Field) int64 { return int64(p.num[f.slot]) }

// Float returns the value of a KindFloat field.
func (p *Payload) Float(f *Field) float64 { return math.Float64frombits(p.num[f.slot]) }

// Bool returns the value of a KindBool field.
func (p *Payload) Bool(f *Field) bool { return p.num[f.slot] != 0 }

// Duration returns the value of a KindDuration field.
func (p *Payload) Duration(f *Field) time.Duration { return time.Duration(p.num[f.slot]) }

// Seconds returns the value of a KindDuration field in seconds, as
// histograms observe it.
func (p *Payload) Seconds(f *Field) float64 {
	return float64(int64(p.num[f.slot])) / 1e9
}

// Str returns the string of a KindString field as it was emitted; for a
// label that may be a value outside its bounded set (see Label).
func (p *Payload) Str(f *Field) string { return p.str[f.slot] }

// LabelIndex returns the bounded index of a label field's value, from 0 to
// f.Label.Size()-1; f.Label.Value turns it into the value metrics record.
func (p *Payload) LabelIndex(f *Field) int { return int(p.lbl[f.slot]) }

// Number returns the value of a numeric field as a float64 in the field's
// unit: an integer as is, a boolean as 0 or 1, a duration in its Unit
// (milliseconds for *_ms fields, seconds for *_s and *_seconds). It is what
// a backend with one numeric column per field stores.
func (p *Payload) Number(f *Field) float64 {
	switch f.Kind {
	case KindInt:
		return float64(p.Int(f))
	case KindFloat:
		return p.Float(f)
	case KindBool:
		if p.Bool(f) {
			return 1
		}
		return 0
	case KindDuration:
		return float64(p.Duration(f)) / f.Unit.Scale()
	}
	return 0
}

// SetInt sets a KindInt field. The Set methods exist for code that builds
// payloads from stored events (a reader of event logs, a test); emitting
// code uses the event's struct.
func (p *Payload) SetInt(f *Field, v int64) { p.num[f.slot] = uint64(v) }

// SetFloat sets a KindFloat field.
func (p *Payload) SetFloat(f *Field, v float64) { p.num[f.slot] = math.Float64bits(v) }

// SetBool sets a KindBool field.
func (p *Payload) SetBool(f *Field, v bool) {
	p.num[f.slot] = 0
	if v {
		p.num[f.slot] = 1
	}
}

// SetDuration sets a KindDuration field.
func (p *Payload) SetDuration(f *Field, v time.Duration) { p.num[f.slot] = uint64(v) }

// SetText sets a KindString field's text alone, leaving a label's bounded
// index as it is: for turning an event read back from a log into its
// struct (runs.Decode, then EventType.Unpack), where resolving the value
// would spend the live process's label cap. Never emit such a payload: a
// collector would read the label's index, not its text.
func (p *Payload) SetText(f *Field, v string) { p.str[f.slot] = v }

// SetStr sets a KindString field. For a label it also resolves the bounded
// index, as emitting does (admitting a new value to a capped label, or
// counting an overflow).
func (p *Payload) SetStr(f *Field, v string) {
	p.str[f.slot] = v
	if f.Label != nil {
		p.lbl[f.slot] = f.Label.resolve(v)
	}
}
