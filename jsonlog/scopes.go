package jsonlog

// This file pre-encodes scopes: the WithAttrs and WithGroup levels of a
// handler (rebuild, rebuildECS) and the fields bound to a context
// (fragment), so that Handle copies bytes instead of encoding them again.

import (
	"log/slog"
	"strings"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/logctx"
)

// rebuild re-encodes level i (flat) or the whole WithAttrs fragment (ECS).
func (h *Handler) rebuild(i int) {
	if len(h.groups) >= MaxDepth {
		h.slowOnly = true
	}
	if h.format == ECS {
		h.rebuildECS()
		return
	}
	lv := h.levels[i]
	lv.renamed = 0
	norm := normalizeFlat(nil, lv.raw, i, i == 0, h.addSource, &lv.renamed)
	if dottedKeys(norm) {
		h.slowOnly = true // only the general path checks dotted paths
	}
	e := encoder{}
	e.fields(norm, i)
	lv.frag = e.buf
	lv.hashes = lv.hashes[:0:0]
	for _, a := range norm {
		lv.hashes = append(lv.hashes, flatHash(a.Key))
	}
	if i < len(h.groups) {
		g := fixKey(h.groups[i])
		if !simpleFlatKey(g) {
			h.slowOnly = true
		}
		if i == 0 && reservedFlat(g, h.addSource) {
			g = renamePrefix + g
			lv.renamed++
		}
		for _, a := range norm {
			if a.Key == g {
				h.slowOnly = true
			}
		}
		lv.hashes = append(lv.hashes, flatHash(g))
		var o []byte
		o = append(o, `,"`...)
		o = jsonenc.AppendEscaped(o, g)
		o = append(o, `":{`...)
		h.opens[i+1] = o
	}
	lv.keys = newKeySet(lv.hashes)
	h.levels[i] = lv
	h.flatRenamed = 0
	for j := range h.levels {
		h.flatRenamed += h.levels[j].renamed
	}
	h.deepest = 0
	for j := range h.levels {
		if len(h.levels[j].frag) > 0 {
			h.deepest = j
		}
	}
	h.setFused()
}

// rebuildECS re-encodes the ECS state: every WithAttrs level flattened to
// dotted keys under its groups' prefix, their key sets, and that prefix.
func (h *Handler) rebuildECS() {
	var list []kv
	prefix := ""
	for i := range h.levels {
		if i > 0 {
			prefix += fixKey(h.groups[i-1]) + "."
		}
		list = flattenECS(list, prefix, h.levels[i].raw, i)
	}
	list, h.ecs.renamed = processECS(list)
	e := encoder{}
	e.kvs(list)
	h.ecs.frag = e.buf
	leaf, pre := ecsHashes(list)
	h.ecs.leaf, h.ecs.prefix = newKeySet(leaf), newKeySet(pre)
	h.ecs.callPrefix = prefix
	h.ecs.callPrefixEsc = jsonenc.AppendEscaped(nil, prefix)
	h.ecs.callPrefixHash = hashKey(strings.TrimSuffix(prefix, "."))
	h.ecs.callPrefixHashes = nil
	for j := 0; j < len(prefix); j++ {
		if prefix[j] == '.' {
			h.ecs.callPrefixHashes = append(h.ecs.callPrefixHashes, hashKey(prefix[:j]))
		}
	}
	for _, g := range h.groups {
		if hasBlankSegment(g) {
			h.slowOnly = true
		}
	}
	if len(h.groups) > 0 {
		first, _, _ := strings.Cut(h.groups[0], ".")
		if ecsNamespace(first) || reservedECS(strings.TrimSuffix(prefix, ".")) {
			h.slowOnly = true
		}
	}
	h.setFused()
}

// dottedKeys reports whether a key of the normalized attributes, at any
// depth, would keep a line off the flat fast path (see simpleFlatKey).
func dottedKeys(attrs []slog.Attr) bool {
	for _, a := range attrs {
		if !simpleFlatKey(a.Key) {
			return true
		}
		if a.Value.Kind() == slog.KindGroup && dottedKeys(a.Value.Group()) {
			return true
		}
	}
	return false
}

// fragment is the encoding of one logctx scope for one handler layout.
type fragment struct {
	data    []byte
	leaf    keySet
	prefix  keySet
	renamed int  // fields of data written under another key than their own
	dotted  bool // flat: a key of data holds a dot
}

func (h *Handler) fragment(f *logctx.Fields) *fragment {
	if v := f.Load(h.ctxKey); v != nil {
		return v.(*fragment)
	}
	attrs := make([]slog.Attr, f.Len())
	for i := range attrs {
		attrs[i] = f.At(i)
	}
	fr := &fragment{}
	e := encoder{}
	if h.format == Flat {
		norm := normalizeFlat(nil, attrs, 0, true, h.addSource, &fr.renamed)
		fr.dotted = dottedKeys(norm)
		e.fields(norm, 0)
		hashes := make([]uint64, len(norm))
		for i, a := range norm {
			hashes[i] = flatHash(a.Key)
		}
		fr.leaf = newKeySet(hashes)
	} else {
		list, renamed := processECS(flattenECS(nil, "", attrs, 0))
		fr.renamed = renamed
		e.kvs(list)
		leaf, pre := ecsHashes(list)
		fr.leaf, fr.prefix = newKeySet(leaf), newKeySet(pre)
	}
	fr.data = e.buf
	return f.Store(h.ctxKey, fr).(*fragment)
}
