package jsonlog

// This file is the Flat layout's body: nested objects for groups, and the
// check that no key of a line collides with another. The fast path (no key
// can collide, fragments are copied) is fastFlat and fastBodyFlat; the slow
// one slowBodyFlat.

import (
	"log/slog"
	"slices"
	"unicode/utf8"

	"github.com/milestone-go/milestone/logctx"
)

func (h *Handler) fastFlat(fr *fragment, call []slog.Attr) bool {
	n := len(h.groups)
	if fr != nil {
		for _, k := range h.levels[0].hashes {
			if fr.leaf.has(k) {
				return false
			}
		}
	}
	inner := &h.levels[n]
	var seen [maxFastAttrs]uint64
	ns := 0
	for i := range call {
		a := &call[i]
		kind := a.Value.Kind()
		if a.Key == "" {
			if kind == slog.KindGroup {
				return false
			}
			if kind == slog.KindAny && a.Value.Any() == nil {
				continue
			}
		}
		if !utf8.ValidString(a.Key) {
			return false
		}
		var hk uint64
		if n == 0 && reservedFlat(a.Key, h.addSource) {
			hk = flatHash(renamePrefix + a.Key) // rare: allocates
		} else {
			hk = flatHash(a.Key)
		}
		if n == 0 && fr != nil && fr.leaf.has(hk) {
			return false
		}
		if inner.keys.has(hk) {
			return false
		}
		for j := 0; j < ns; j++ {
			if seen[j] == hk {
				return false
			}
		}
		seen[ns] = hk
		ns++
		if kind == slog.KindGroup && !checkGroupFlat(a.Value.Group(), n+1) {
			return false
		}
	}
	return true
}

func checkGroupFlat(as []slog.Attr, depth int) bool {
	if depth >= MaxDepth || len(as) > maxFastAttrs {
		return false
	}
	for i := range as {
		k := as[i].Value.Kind()
		if k == slog.KindLogValuer || (as[i].Key == "" && k == slog.KindGroup) || !utf8.ValidString(as[i].Key) {
			return false
		}
		for j := 0; j < i; j++ {
			if as[j].Key == as[i].Key {
				return false
			}
		}
		if k == slog.KindGroup && !checkGroupFlat(as[i].Value.Group(), depth+1) {
			return false
		}
	}
	return true
}

func (h *Handler) fastBodyFlat(e *encoder, fr *fragment, call []slog.Attr) {
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
	}
	n := len(h.groups)
	opened, mark, markOpened := 0, -1, 0
	for i := 0; i <= n; i++ {
		if i > 0 {
			if i == h.deepest+1 {
				mark, markOpened = len(e.buf), opened
			}
			open := h.opens[i]
			if e.first {
				open = open[1:]
			}
			e.buf = append(e.buf, open...)
			opened++
			e.first = true
		}
		if frag := h.levels[i].frag; len(frag) > 0 {
			if e.first {
				frag = frag[1:]
			}
			e.buf = append(e.buf, frag...)
			e.first = false
		}
	}
	wrote := 0
	for i := range call {
		if e.field(call[i], n, n == 0, h.addSource) {
			wrote++
		}
	}
	if wrote == 0 && mark >= 0 {
		e.buf = e.buf[:mark]
		opened = markOpened
	}
	for ; opened > 0; opened-- {
		e.buf = append(e.buf, '}')
	}
	e.first = false
}

// slowBodyFlat is the general algorithm, used on collisions: every key
// checked against every other, renamed where it collides.
func (h *Handler) slowBodyFlat(e *encoder, f *logctx.Fields, call []slog.Attr) {
	n := len(h.groups)
	cur := append(slices.Clone(h.levels[n].raw), call...)
	for i := n; i >= 1; i-- {
		node := slog.Attr{Key: h.groups[i-1], Value: slog.GroupValue(cur...)}
		cur = append(slices.Clone(h.levels[i-1].raw), node)
	}
	top := make([]slog.Attr, 0, f.Len()+len(cur))
	for i := 0; i < f.Len(); i++ {
		top = append(top, f.At(i))
	}
	top = append(top, cur...)
	norm := normalizeFlat(nil, top, 0, true, h.addSource)
	e.fields(norm, 0)
}
