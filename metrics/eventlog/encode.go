package eventlog

import (
	"math"
	"strconv"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
)

// eventCodec is what the writer needs to encode one event, computed once
// when the collector is built from the event's declaration.
type eventCodec struct {
	// prefix is `{"event":"<wire>","ts":`.
	prefix []byte
	fields []fieldCodec
	// closesRun is set for the events that end a run's file.
	closesRun bool
}

// fieldCodec encodes one field: `,"<name>":` and the value.
type fieldCodec struct {
	key   []byte
	field *metrics.Field
}

// codecTable finds the codec of an event by its dense metrics.Event.
type codecTable struct {
	byEvent []*eventCodec
}

func (t *codecTable) get(ev metrics.Event) *eventCodec {
	if int(ev) < len(t.byEvent) {
		return t.byEvent[ev]
	}
	return nil
}

// buildCodecs snapshots every declared event of every catalog as it is
// now: events declared later are not in the table and are ignored.
func buildCodecs() *codecTable {
	codecs := &codecTable{}
	for _, d := range metrics.Descriptors() {
		c := &eventCodec{closesRun: d.EndsRun}
		c.prefix = append(c.prefix, `{"event":`...)
		c.prefix = jsonenc.AppendString(c.prefix, d.Wire)
		c.prefix = append(c.prefix, `,"ts":`...)
		for _, f := range d.Fields {
			key := append(jsonenc.AppendString([]byte{','}, f.Name), ':')
			c.fields = append(c.fields, fieldCodec{key: key, field: f})
		}
		for int(d.Event) >= len(codecs.byEvent) {
			codecs.byEvent = append(codecs.byEvent, nil)
		}
		codecs.byEvent[d.Event] = c
	}
	return codecs
}

// appendSpanIDs appends the event's place in its trace: trace_id and
// span_id, and parent_span_id for a step's event (trace_parent_id for a
// run's root that joined another trace), as lowercase hex.
func appendSpanIDs(b []byte, id sinkbase.SpanIDs) []byte {
	b = append(b, `,"trace_id":"`...)
	b = jsonenc.AppendHex(b, id.Trace[:])
	b = append(b, `","span_id":"`...)
	b = jsonenc.AppendHex(b, id.Span[:])
	if id.Parent.IsValid() {
		if id.Step {
			b = append(b, `","parent_span_id":"`...)
		} else {
			b = append(b, `","trace_parent_id":"`...)
		}
		b = jsonenc.AppendHex(b, id.Parent[:])
	}
	return append(b, '"')
}

// appendFields appends every field of the event in p, in declaration order.
func (c *eventCodec) appendFields(b []byte, p *metrics.Payload) []byte {
	for i := range c.fields {
		fc := &c.fields[i]
		b = append(b, fc.key...)
		b = appendValue(b, fc.field, p)
	}
	return b
}

// appendValue appends the JSON value of field f in p: an integer, a float
// (null when not finite, which JSON cannot hold), a boolean, a duration in
// the field's unit, or a string (for a label, as emitted).
func appendValue(b []byte, f *metrics.Field, p *metrics.Payload) []byte {
	switch f.Kind {
	case metrics.KindInt:
		return strconv.AppendInt(b, p.Int(f), 10)
	case metrics.KindFloat:
		v := p.Float(f)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case metrics.KindBool:
		return strconv.AppendBool(b, p.Bool(f))
	case metrics.KindDuration:
		return appendDuration(b, int64(p.Duration(f)), f.Unit)
	case metrics.KindString:
		return jsonenc.AppendString(b, p.Str(f))
	}
	return append(b, "null"...)
}

// appendDuration appends a duration of ns nanoseconds as a JSON number in
// unit: milliseconds or seconds, the exact decimal (no float rounding), with
// trailing zeros dropped: 1500 ms, 12.5 ms, 0.25 s.
func appendDuration(b []byte, ns int64, u metrics.DurationUnit) []byte {
	unit, digits := int64(1e9), 9
	if u == metrics.Millis {
		unit, digits = 1e6, 6
	}
	neg := ns < 0
	un := uint64(ns)
	if neg {
		b = append(b, '-')
		un = -un
	}
	b = strconv.AppendUint(b, un/uint64(unit), 10)
	frac := un % uint64(unit)
	if frac == 0 {
		return b
	}
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	var tmp [9]byte
	for i := digits - 1; i >= 0; i-- {
		tmp[i] = byte('0' + frac%10)
		frac /= 10
	}
	b = append(b, '.')
	return append(b, tmp[:digits]...)
}
