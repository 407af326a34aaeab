package jsonlog

// This file holds the line being written: a byte buffer with a length
// limit, and the primitives that append a key or a string within it.

import (
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
)

// encoder appends one line. With limit > 0 it keeps the line within limit
// bytes (before the closing brace and newline): strings are cut and fields
// left out once the budget is spent.
type encoder struct {
	buf     []byte
	limit   int
	cut     bool
	dropped int
	first   bool // the next field is the first of its object
	renamed int  // fields written under another key than their own
	// traceID and spanID are the ids of the span the record's context
	// holds, which the head writes when hasSpan.
	traceID trace.TraceID
	spanID  trace.SpanID
	hasSpan bool
}

func (e *encoder) room(n int) bool {
	return e.limit == 0 || len(e.buf)+n <= e.limit-lineReserve
}

func (e *encoder) keyStart(n int) bool {
	if e.limit > 0 && !e.room(n+8) {
		e.dropped++
		return false
	}
	if !e.first {
		e.buf = append(e.buf, ',')
	}
	e.first = false
	e.buf = append(e.buf, '"')
	return true
}

// key writes `,"<k>":`; false when left out under the limit.
func (e *encoder) key(k string) bool {
	if !e.keyStart(6 * len(k)) {
		return false
	}
	e.buf = jsonenc.AppendEscaped(e.buf, k)
	e.buf = append(e.buf, '"', ':')
	return true
}

func (e *encoder) strMax(s string, max int) {
	e.buf = append(e.buf, '"')
	if e.limit > 0 {
		var c bool
		e.buf, c = appendEscapedLimit(e.buf, s, max)
		e.cut = e.cut || c
	} else {
		e.buf = jsonenc.AppendEscaped(e.buf, s)
	}
	e.buf = append(e.buf, '"')
}

func (e *encoder) str(s string) { e.strMax(s, e.limit-lineReserve-1) }

// message writes the record's message, given at most half of the line
// under a limit.
func (e *encoder) message(s string) {
	e.strMax(s, len(e.buf)+(e.limit-lineReserve-len(e.buf))/2)
}

// appendEscapedLimit is jsonenc.AppendEscaped that stops, at a rune
// boundary, before the output would grow beyond max bytes, appending
// TruncationMarker instead. It reports whether it cut s.
func appendEscapedLimit(b []byte, s string, max int) ([]byte, bool) {
	if len(b)+6*len(s) <= max {
		return jsonenc.AppendEscaped(b, s), false
	}
	stop := max - len(TruncationMarker)
	var tmp [12]byte
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		piece := jsonenc.AppendEscaped(tmp[:0], s[i:i+size])
		if len(b)+len(piece) > stop {
			return append(b, TruncationMarker...), true
		}
		b = append(b, piece...)
		i += size
	}
	return b, false
}
