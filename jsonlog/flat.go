package jsonlog

// This file is the flat layout: groups as nested objects, dotted keys
// renamed where they would meet another value.

import (
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/milestone-go/milestone/logctx"
)

func (h *Handler) fastFlat(fr *fragment, call []slog.Attr) bool {
	n := len(h.groups)
	if fr != nil && fr.dotted {
		return false
	}
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
		if !utf8.ValidString(a.Key) || !simpleFlatKey(a.Key) {
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
		if !simpleFlatKey(as[i].Key) && !isEmptyAttr(as[i]) {
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

// simpleFlatKey reports whether a key lets the line take the fast path: no
// dot (so no dotted path of the line can meet another, which only the
// general path checks) and not blank.
func simpleFlatKey(k string) bool { return strings.IndexByte(k, '.') < 0 && !blank(k) }

func (h *Handler) fastBodyFlat(e *encoder, fr *fragment, call []slog.Attr) {
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
		e.renamed += fr.renamed
	}
	e.renamed += h.flatRenamed
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
	norm := normalizeFlat(nil, top, 0, true, h.addSource, &e.renamed)
	norm = separatePaths(norm, &e.renamed)
	e.fields(norm, 0)
}

// normalizeFlat appends to dst the attributes as the flat layout writes
// them: values resolved, empty-key groups inlined, empty attributes and
// groups dropped, groups deeper than MaxDepth replaced by DepthMarker, one
// attribute per key (the last), then keys cleaned (flatKey) and, when a key
// changed into one the level has, given renamePrefix until it is unique.
// renamed counts the keys changed.
func normalizeFlat(dst, attrs []slog.Attr, depth int, top, addSource bool, renamed *int) []slog.Attr {
	start := len(dst)
	dst = appendNormFlat(dst, attrs, depth, depth, top, addSource, renamed)
	dst = append(dst[:start], dedupLast(dst[start:], attrKey)...)
	level := dst[start:]
	var taken map[string]bool // the level's keys, once one changes
	for i := range level {
		k := flatKey(level[i].Key, top, addSource)
		if k == level[i].Key {
			continue
		}
		if taken == nil {
			taken = make(map[string]bool, len(level))
			for _, a := range level {
				taken[a.Key] = true
			}
		}
		for taken[k] {
			k = renamePrefix + k
		}
		taken[k] = true
		level[i].Key = k
		*renamed++
	}
	return dst
}

func appendNormFlat(dst, attrs []slog.Attr, depth, nest int, top, addSource bool, renamed *int) []slog.Attr {
	for _, a := range attrs {
		v := a.Value.Resolve()
		if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
			continue
		}
		if v.Kind() == slog.KindGroup {
			if nest >= MaxDepth {
				dst = append(dst, slog.String(fixKey(a.Key), DepthMarker))
				continue
			}
			if a.Key == "" {
				dst = appendNormFlat(dst, v.Group(), depth, nest+1, top, addSource, renamed)
				continue
			}
			members := normalizeFlat(nil, v.Group(), depth+1, false, addSource, renamed)
			if len(members) == 0 {
				continue
			}
			v = slog.GroupValue(members...)
		}
		dst = append(dst, slog.Attr{Key: fixKey(a.Key), Value: v})
	}
	return dst
}

// flatKey returns the key the flat layout writes for key (UTF-8 already
// fixed): blank segments cleaned and, when top, a key whose first segment
// is reserved moved under renamePrefix ("event.x" would be a child of the
// format's own "event").
func flatKey(key string, top, addSource bool) string {
	k := cleanKey(key)
	if first, _, _ := strings.Cut(k, "."); top && reservedFlat(first, addSource) {
		k = renamePrefix + k
	}
	return k
}

func attrKey(a slog.Attr) string { return a.Key }

// separatePaths applies the flat layout's dotted-path rule to normalized
// attributes: Elasticsearch reads a key "a.b" as the path a → b, as it
// reads a group a holding b, and rejects a line where one path is both a
// value and a prefix of another, or where two values share a path. The
// value whose path is a prefix gets leafSuffix ("a":1 beside "a.b":2 is
// written "a.value":1); of values sharing a path, the later gets
// renamePrefix on its own key (a group a holding b, then "a.b", writes the
// latter as "fields.a.b"). renamed counts each key changed.
func separatePaths(top []slog.Attr, renamed *int) []slog.Attr {
	for iter := 0; iter < 4*MaxDepth; iter++ {
		var paths []string
		paths = flatPaths(paths, top, "")
		prefixes := make(map[string]bool, len(paths))
		for _, p := range paths {
			for j := 0; j < len(p); j++ {
				if p[j] == '.' {
					prefixes[p[:j]] = true
				}
			}
		}
		fix := make([]uint8, len(paths))
		seen := make(map[string]bool, len(paths))
		fixed := false
		for i, p := range paths {
			switch {
			case prefixes[p]:
				fix[i] = 1
			case seen[p]:
				fix[i] = 2
			}
			seen[p] = true
			fixed = fixed || fix[i] != 0
		}
		if !fixed {
			return top
		}
		next := 0
		top = renamePaths(top, fix, &next, renamed)
	}
	return top
}

// flatPaths appends the dotted path of every value of attrs under prefix,
// depth first.
func flatPaths(dst []string, attrs []slog.Attr, prefix string) []string {
	for _, a := range attrs {
		if a.Value.Kind() == slog.KindGroup {
			dst = flatPaths(dst, a.Value.Group(), prefix+a.Key+".")
			continue
		}
		dst = append(dst, prefix+a.Key)
	}
	return dst
}

// renamePaths returns attrs with the values flatPaths listed renamed as fix
// says (1: leafSuffix, 2: renamePrefix), next being the index of the first
// value of attrs in that list.
func renamePaths(attrs []slog.Attr, fix []uint8, next *int, renamed *int) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		if a.Value.Kind() == slog.KindGroup {
			a.Value = slog.GroupValue(renamePaths(a.Value.Group(), fix, next, renamed)...)
			out[i] = a
			continue
		}
		switch fix[*next] {
		case 1:
			a.Key += leafSuffix
			*renamed++
		case 2:
			a.Key = renamePrefix + a.Key
			*renamed++
		}
		*next++
		out[i] = a
	}
	return out
}
