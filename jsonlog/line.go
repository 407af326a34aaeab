package jsonlog

// This file assembles a line: the head every line starts with, then the
// body of the layout (flat.go, ecs.go), by the general path that handles
// any record. fastline.go holds the fused fast paths tried first.

import (
	"log/slog"

	"github.com/milestone-go/milestone/logctx"
)

// encode encodes r into e (empty): by the fused path when fused is true
// and the handler allows it (h.fused) and it applies, else by the general path, resuming after the attributes
// the fused path already wrote when the general fast path applies.
func (h *Handler) encode(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, fused bool) {
	resume := -1
	if fused && h.fused {
		var complete bool
		resume, complete = h.fusedLine(e, r, fr)
		if complete {
			if len(e.buf) <= h.maxLine {
				return
			}
			// the general path would write the same line: go straight to
			// the limited one
			resume = overLimit
		}
	}
	h.generalLine(e, r, f, fr, resume)
}

// overLimit, as generalLine's resume, says that the whole line is known to
// be longer than the limit, so that only the limited encoding is left to do.
const overLimit = -2

// line encodes the whole line into e.
func (h *Handler) line(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, call []slog.Attr, fast bool) {
	h.header(e, r)
	switch {
	case fast && h.format == Flat:
		h.fastBodyFlat(e, fr, call)
	case fast:
		h.fastBodyECS(e, fr, call)
	case h.format == Flat:
		h.slowBodyFlat(e, f, call)
	default:
		h.slowBodyECS(e, f, call)
	}
	if e.cut || e.dropped > 0 {
		e.buf = append(e.buf, `,"`+truncatedKey+`":true`...)
	}
	e.buf = append(e.buf, '}', '\n')
}

// generalLine encodes r into e by the fast path when no key can collide, by
// the slow path otherwise, and again under the line limit when the line is
// too long. With resume ≥ 0, e holds the start of the fast line up to the
// call-site attribute resume (excluded), written by fusedLine; with
// overLimit, fusedLine wrote the whole line and it is too long.
func (h *Handler) generalLine(e *encoder, r *slog.Record, f *logctx.Fields, fr *fragment, resume int) {
	var st [maxFastAttrs]slog.Attr
	call := st[:0]
	if r.NumAttrs() > maxFastAttrs {
		call = make([]slog.Attr, 0, r.NumAttrs())
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindLogValuer {
			a.Value = a.Value.Resolve()
		}
		call = append(call, a)
		return true
	})
	if resume == overLimit {
		h.limitedLine(e, r, f, call)
		return
	}
	fast := !h.slowOnly && len(call) <= maxFastAttrs
	if fast {
		if h.format == Flat {
			fast = h.fastFlat(fr, call)
		} else {
			fast = h.fastECS(fr, call)
		}
	}
	if fast && resume >= 0 {
		// what fastBodyFlat and line write after the first resume fields
		// when no group is open
		for i := resume; i < len(call); i++ {
			e.field(call[i], 0, true, h.addSource)
		}
		e.buf = append(e.buf, '}', '\n')
	} else {
		*e = encoder{buf: e.buf[:0], traceID: e.traceID, spanID: e.spanID, hasSpan: e.hasSpan}
		h.line(e, r, f, fr, call, fast)
	}
	if len(e.buf) > h.maxLine {
		h.limitedLine(e, r, f, call)
	}
}

// limitedLine encodes the line again under the line limit, by the slow path,
// and counts it as truncated.
func (h *Handler) limitedLine(e *encoder, r *slog.Record, f *logctx.Fields, call []slog.Attr) {
	*e = encoder{buf: e.buf[:0], limit: h.maxLine - 1, traceID: e.traceID, spanID: e.spanID, hasSpan: e.hasSpan}
	h.line(e, r, f, nil, call, false)
	h.sh.truncated.Add(1)
}
