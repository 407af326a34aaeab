package jsonlog

// This file writes the head every line starts with: the timestamp, the
// level, the logger and the message, in the order of the layout.

import (
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/logctx"
)

var headLevels = [5]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, logctx.LevelCritical}

func (h *Handler) header(e *encoder, r *slog.Record) {
	t := r.Time
	if h.clock != nil {
		t = h.clock()
	}
	b := append(e.buf, '{')
	if h.format == Flat {
		if !t.IsZero() {
			b = append(b, `"timestamp":`...)
			b = jsonenc.AppendTimestamp(b, t)
			b = append(b, ',')
		}
		e.buf = h.head(b, r.Level)
		e.message(r.Message)
	} else {
		if !t.IsZero() {
			b = append(b, `"@timestamp":`...)
			b = jsonenc.AppendTimestamp(b, t)
			b = append(b, ',')
		}
		e.buf = h.head(b, r.Level)
		e.message(r.Message)
		e.buf = append(e.buf, h.nameFrag...)
	}
	if h.addSource && r.PC != 0 {
		h.source(e, r.PC)
	}
	if e.hasSpan {
		e.buf = h.appendSpan(e.buf, e.traceID, e.spanID)
	}
	e.first = false
}

// appendSpan appends the ids of the span the record's context holds:
// trace_id and span_id in Flat, trace.id and span.id in ECS (as the ECS
// logging spec names them), as lowercase hex.
func (h *Handler) appendSpan(b []byte, t trace.TraceID, s trace.SpanID) []byte {
	if h.format == Flat {
		b = append(b, `,"trace_id":"`...)
	} else {
		b = append(b, `,"trace.id":"`...)
	}
	b = jsonenc.AppendHex(b, t[:])
	if h.format == Flat {
		b = append(b, `","span_id":"`...)
	} else {
		b = append(b, `","span.id":"`...)
	}
	b = jsonenc.AppendHex(b, s[:])
	return append(b, '"')
}

func (h *Handler) head(b []byte, l slog.Level) []byte {
	for i, hl := range headLevels {
		if hl == l {
			return append(b, h.heads[i]...)
		}
	}
	return h.slowHead(b, l)
}

func (h *Handler) slowHead(b []byte, l slog.Level) []byte {
	if h.format == Flat {
		b = append(b, `"level":"`...)
		b = appendLevel(b, l)
		b = append(b, '"')
		b = append(b, h.nameFrag...)
		return append(b, `,"event":`...)
	}
	b = append(b, `"log.level":"`...)
	b = appendLevel(b, l)
	return append(b, `","message":`...)
}

func appendLevel(b []byte, l slog.Level) []byte {
	switch l {
	case slog.LevelDebug:
		return append(b, "DEBUG"...)
	case slog.LevelInfo:
		return append(b, "INFO"...)
	case slog.LevelWarn:
		return append(b, "WARN"...)
	case slog.LevelError:
		return append(b, "ERROR"...)
	case logctx.LevelCritical:
		return append(b, "CRITICAL"...)
	}
	return append(b, logctx.LevelString(l)...)
}
