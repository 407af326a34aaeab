package clickhouse

import (
	"encoding/binary"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/internal/lib/sinkbase"
	"github.com/milestone-go/milestone/metrics"
)

// Rows travel in ClickHouse's RowBinary format: each row is its columns'
// values in the order the INSERT names them, with no separators: integers
// little-endian in their width, Float64 as its IEEE bits, a String as its
// length (unsigned LEB128) then its bytes, an Array as its length then its
// elements. LowCardinality(String) reads as String. Parsing it costs the
// server much less than JSON (docs/design/clickhouse-fleet.md).

// colOp is how one column's value of a row is written.
type colOp uint8

const (
	opFixed     colOp = iota // bytes every row of an event shares
	opTS                     // ts: DateTime, UInt32 seconds
	opTSMillis               // ts_ms: UInt16
	opRun                    // run_id
	opSeq                    // seq: UInt64
	opTrace                  // trace_id, hex
	opSpan                   // span_id, hex
	opParent                 // parent_span_id, hex or ""
	opLevel                  // level, when it follows a label's value
	opMessage                // message, rendered
	opNumValues              // num_values: Array(Float64)
	opStrValues              // str_values: Array(String)
)

// step is one op of a row codec; fixed holds opFixed's bytes.
type step struct {
	op    colOp
	fixed []byte
}

// rowCodec encodes one event's rows for one layout, computed when the
// layout is learned: the columns every row of the event shares are
// encoded once, adjacent ones merged into one copy.
type rowCodec struct {
	d     *metrics.Descriptor
	steps []step
	nums  []*metrics.Field
	strs  []*metrics.Field
	// levels is the encoded level of each LevelBy label index, for an
	// event whose level follows a label value.
	levels [][]byte
}

// buildCodecs returns the codec of every carried event, indexed by
// metrics.Event, for the columns of l.
func buildCodecs(l *layout, carried []bool, service, host string) []*rowCodec {
	codecs := make([]*rowCodec, len(carried))
	for _, d := range metrics.Descriptors() {
		if int(d.Event) < len(carried) && carried[d.Event] {
			codecs[d.Event] = newRowCodec(d, l, service, host)
		}
	}
	return codecs
}

func newRowCodec(d *metrics.Descriptor, l *layout, service, host string) *rowCodec {
	rc := &rowCodec{d: d}
	for _, f := range d.Fields {
		if f.Kind == metrics.KindString {
			rc.strs = append(rc.strs, f)
		} else {
			rc.nums = append(rc.nums, f)
		}
	}
	if d.LevelBy != nil {
		for i := range d.LevelBy.Label.Size() {
			rc.levels = append(rc.levels, appendString(nil, d.LevelOfValue(d.LevelBy.Label.Value(i)).String()))
		}
	}
	fixed := func(b []byte) {
		if n := len(rc.steps); n > 0 && rc.steps[n-1].op == opFixed {
			rc.steps[n-1].fixed = append(rc.steps[n-1].fixed, b...)
			return
		}
		rc.steps = append(rc.steps, step{op: opFixed, fixed: b})
	}
	for _, col := range l.cols {
		if op, ok := perRowOps[col]; ok {
			rc.steps = append(rc.steps, step{op: op})
			continue
		}
		switch col {
		case "ends_run":
			b := byte(0)
			if d.EndsRun {
				b = 1
			}
			fixed([]byte{b})
		case "level":
			if d.LevelBy != nil {
				rc.steps = append(rc.steps, step{op: opLevel})
			} else {
				fixed(appendString(nil, d.Level.String()))
			}
		case "service":
			fixed(appendString(nil, service))
		case "host":
			fixed(appendString(nil, host))
		case "catalog":
			fixed(appendString(nil, d.Catalog.Namespace()))
		case "event":
			fixed(appendString(nil, d.Wire))
		case "code":
			fixed(binary.LittleEndian.AppendUint16(nil, uint16(d.Code)))
		case "grp":
			fixed(appendString(nil, string(d.Group)))
		case "num_keys":
			fixed(appendNames(nil, rc.nums))
		case "str_keys":
			fixed(appendNames(nil, rc.strs))
		}
	}
	return rc
}

// perRowOps are the columns whose value each row computes, by the op that
// writes it; every other column is the same for all rows of an event.
var perRowOps = map[string]colOp{
	"ts": opTS, "ts_ms": opTSMillis, "run_id": opRun, "seq": opSeq,
	"trace_id": opTrace, "span_id": opSpan, "parent_span_id": opParent,
	"message": opMessage, "num_values": opNumValues, "str_values": opStrValues,
}

func appendNames(b []byte, fs []*metrics.Field) []byte {
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = appendString(b, f.Name)
	}
	return b
}

// appendRow appends the row of m, the seq-th of its run, whose place in
// its trace is id. scratch is reused for the rendered message and
// returned.
func (rc *rowCodec) appendRow(b []byte, m *message, id sinkbase.SpanIDs, seq uint64, scratch []byte) ([]byte, []byte) {
	for i := range rc.steps {
		st := &rc.steps[i]
		switch st.op {
		case opFixed:
			b = append(b, st.fixed...)
		case opTS:
			sec := m.Nanos / 1e9
			if m.Nanos < 0 && m.Nanos%1e9 != 0 {
				sec--
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(min(max(sec, 0), math.MaxUint32)))
		case opTSMillis:
			ns := m.Nanos % 1e9
			if ns < 0 {
				ns += 1e9
			}
			b = binary.LittleEndian.AppendUint16(b, uint16(ns/1e6))
		case opRun:
			b = appendString(b, m.Run)
		case opSeq:
			b = binary.LittleEndian.AppendUint64(b, seq)
		case opTrace:
			b = jsonenc.AppendHex(append(b, byte(2*len(id.Trace))), id.Trace[:])
		case opSpan:
			b = jsonenc.AppendHex(append(b, byte(2*len(id.Span))), id.Span[:])
		case opParent:
			if id.Step {
				b = jsonenc.AppendHex(append(b, byte(2*len(id.Parent))), id.Parent[:])
			} else {
				b = append(b, 0)
			}
		case opLevel:
			if i := m.P.LabelIndex(rc.d.LevelBy); i >= 0 && i < len(rc.levels) {
				b = append(b, rc.levels[i]...)
			} else {
				b = appendString(b, rc.d.Level.String())
			}
		case opMessage:
			scratch = rc.d.AppendMessage(scratch[:0], &m.P)
			b = appendString(b, unsafe.String(unsafe.SliceData(scratch), len(scratch)))
		case opNumValues:
			b = binary.AppendUvarint(b, uint64(len(rc.nums)))
			for _, f := range rc.nums {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.P.Number(f)))
			}
		case opStrValues:
			b = binary.AppendUvarint(b, uint64(len(rc.strs)))
			for _, f := range rc.strs {
				b = appendString(b, m.P.Str(f))
			}
		}
	}
	return b, scratch
}

// appendString appends s as a RowBinary String. Invalid UTF-8 is replaced
// by U+FFFD, as the JSON the table is read back through would have it.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
