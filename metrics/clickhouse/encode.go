package clickhouse

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
)

// rowCodec is what the sender needs to encode one event's rows, computed
// once at New from the event's declaration.
type rowCodec struct {
	d *metrics.Descriptor
	// fixed is the part of the row every event of this kind shares, from
	// ,"service" to "str_keys":[…], with a trailing comma.
	fixed []byte
	nums  []*metrics.Field
	strs  []*metrics.Field
	// levels is the "level":"…", member of each LevelBy label index, for
	// an event whose level follows a label value (fixed has none then).
	levels [][]byte
}

// buildCodecs snapshots every declared event of every catalog.
func buildCodecs(service, host string) []*rowCodec {
	var codecs []*rowCodec
	for _, d := range metrics.Descriptors() {
		rc := &rowCodec{d: d}
		for _, f := range d.Fields {
			if f.Kind == metrics.KindString {
				rc.strs = append(rc.strs, f)
			} else {
				rc.nums = append(rc.nums, f)
			}
		}
		b := append([]byte(nil), `,"service":`...)
		b = jsonenc.AppendString(b, service)
		b = append(b, `,"host":`...)
		b = jsonenc.AppendString(b, host)
		b = append(b, `,"catalog":`...)
		b = jsonenc.AppendString(b, d.Catalog.Namespace())
		b = append(b, `,"event":`...)
		b = jsonenc.AppendString(b, d.Wire)
		b = append(b, `,"code":`...)
		b = strconv.AppendUint(b, uint64(d.Code), 10)
		b = append(b, `,"grp":`...)
		b = jsonenc.AppendString(b, string(d.Group))
		if d.LevelBy == nil {
			b = append(b, `,"level":`...)
			b = jsonenc.AppendString(b, d.Level.String())
		} else {
			for i := range d.LevelBy.Label.Size() {
				l := d.LevelOfValue(d.LevelBy.Label.Value(i))
				rc.levels = append(rc.levels, jsonenc.AppendString([]byte(`"level":`), l.String()))
			}
		}
		b = appendNames(append(b, `,"num_keys":`...), rc.nums)
		b = appendNames(append(b, `,"str_keys":`...), rc.strs)
		rc.fixed = append(b, ',')
		for int(d.Event) >= len(codecs) {
			codecs = append(codecs, nil)
		}
		codecs[d.Event] = rc
	}
	return codecs
}

func appendNames(b []byte, fs []*metrics.Field) []byte {
	b = append(b, '[')
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, f.Name)
	}
	return append(b, ']')
}

// appendRow appends the JSONEachRow line of m, the seq-th row of its run,
// whose place in its trace is id. scratch is reused for the rendered
// message and returned.
func (rc *rowCodec) appendRow(b []byte, m *message, id sinkbase.SpanIDs, seq uint64, scratch []byte) ([]byte, []byte) {
	sec, ns := m.Nanos/1e9, m.Nanos%1e9
	if ns < 0 {
		sec, ns = sec-1, ns+1e9
	}
	b = append(b, `{"ts":`...)
	b = strconv.AppendInt(b, max(sec, 0), 10)
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, ns/1e6, 10)
	b = append(b, `,"run_id":`...)
	b = jsonenc.AppendString(b, m.Run)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"trace_id":"`...)
	b = jsonenc.AppendHex(b, id.Trace[:])
	b = append(b, `","span_id":"`...)
	b = jsonenc.AppendHex(b, id.Span[:])
	if id.Step {
		b = append(b, `","parent_span_id":"`...)
		b = jsonenc.AppendHex(b, id.Parent[:])
	}
	b = append(b, '"')
	b = append(b, rc.fixed...)
	if rc.levels != nil {
		if i := m.P.LabelIndex(rc.d.LevelBy); i >= 0 && i < len(rc.levels) {
			b = append(append(b, rc.levels[i]...), ',')
		} else {
			b = append(jsonenc.AppendString(append(b, `"level":`...), rc.d.Level.String()), ',')
		}
	}
	scratch = rc.d.AppendMessage(scratch[:0], &m.P)
	b = append(b, `"message":`...)
	b = jsonenc.AppendString(b, unsafe.String(unsafe.SliceData(scratch), len(scratch)))
	b = append(b, `,"num_values":[`...)
	for i, f := range rc.nums {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendNumber(b, m.P.Number(f))
	}
	b = append(b, `],"str_values":[`...)
	for i, f := range rc.strs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, m.P.Str(f))
	}
	return append(b, "]}\n"...), scratch
}

// appendNumber appends v as ClickHouse reads a Float64: the shortest
// decimal, or nan, inf and -inf, which its JSON parser accepts.
func appendNumber(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "nan"...)
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
