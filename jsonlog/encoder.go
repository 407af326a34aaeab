package jsonlog

import (
	"log/slog"
	"strconv"
	"strings"
	"time"

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

func (e *encoder) renamedKey(k string) bool {
	if !e.keyStart(6*len(k) + len(renamePrefix)) {
		return false
	}
	e.buf = append(e.buf, renamePrefix...)
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

func (e *encoder) value(v slog.Value, depth int) { e.valueKind(v, v.Kind(), depth) }

func (e *encoder) valueKind(v slog.Value, kind slog.Kind, depth int) {
	switch kind {
	case slog.KindString:
		e.str(v.String())
	case slog.KindInt64:
		e.buf = strconv.AppendInt(e.buf, v.Int64(), 10)
	case slog.KindUint64:
		e.buf = strconv.AppendUint(e.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		e.buf = appendFloat(e.buf, v.Float64())
	case slog.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case slog.KindDuration:
		e.buf = strconv.AppendInt(e.buf, int64(v.Duration()), 10)
	case slog.KindTime:
		e.buf = append(e.buf, '"')
		e.buf = v.Time().UTC().AppendFormat(e.buf, time.RFC3339Nano)
		e.buf = append(e.buf, '"')
	case slog.KindGroup:
		if depth >= MaxDepth {
			e.str(DepthMarker)
			return
		}
		e.buf = append(e.buf, '{')
		e.first = true
		e.fields(v.Group(), depth+1)
		e.buf = append(e.buf, '}')
		e.first = false
	case slog.KindLogValuer:
		e.value(v.Resolve(), depth)
	default:
		raw, s, isStr := anyJSON(v.Any())
		switch {
		case isStr:
			e.str(s)
		case e.limit > 0 && !e.room(len(raw)):
			e.str(string(raw))
		default:
			e.buf = append(e.buf, raw...)
		}
	}
}

// fields writes attrs as the fields of the current object (flat layout) and
// returns how many it wrote.
func (e *encoder) fields(attrs []slog.Attr, depth int) int {
	n := 0
	for i := range attrs {
		if e.field(attrs[i], depth, false, false) {
			n++
		}
	}
	return n
}

// field writes one attribute (flat layout); rename applies the reserved
// top-level keys. An empty attribute or group writes nothing.
func (e *encoder) field(a slog.Attr, depth int, rename, addSource bool) bool {
	v := a.Value
	kind := v.Kind()
	if kind == slog.KindLogValuer {
		v = v.Resolve()
		kind = v.Kind()
	}
	if a.Key == "" && kind == slog.KindAny && v.Any() == nil {
		return false
	}
	mark, first := len(e.buf), e.first
	var ok bool
	if rename && reservedFlat(a.Key, addSource) {
		ok = e.renamedKey(a.Key)
		e.renamed++
	} else {
		ok = e.key(a.Key)
	}
	if !ok {
		return false
	}
	if kind == slog.KindGroup && depth < MaxDepth {
		e.buf = append(e.buf, '{')
		e.first = true
		if e.fields(v.Group(), depth+1) == 0 {
			e.buf = e.buf[:mark]
			e.first = first
			return false
		}
		e.buf = append(e.buf, '}')
		e.first = false
		return true
	}
	e.valueKind(v, kind, depth)
	return true
}

// ecsField writes one attribute of the record in the ECS layout, its key
// being prefix (escaped), the path and the attribute's key, dot-separated.
func (e *encoder) ecsField(prefix []byte, path []string, a slog.Attr, depth int) {
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
		return
	}
	if v.Kind() == slog.KindGroup && depth < MaxDepth {
		if a.Key != "" {
			path = append(path, a.Key)
		}
		for _, m := range v.Group() {
			e.ecsField(prefix, path, m, depth+1)
		}
		return
	}
	n := len(prefix) + 6*len(a.Key)
	for _, p := range path {
		n += 6*len(p) + 1
	}
	if !e.keyStart(n) {
		return
	}
	e.buf = append(e.buf, prefix...)
	for _, p := range path {
		e.buf = jsonenc.AppendEscaped(e.buf, p)
		e.buf = append(e.buf, '.')
	}
	e.buf = jsonenc.AppendEscaped(e.buf, a.Key)
	e.buf = append(e.buf, '"', ':')
	e.value(v, depth)
}

// kv is one ECS field: a full dotted key and a value that is not a group.
type kv struct {
	key string
	val slog.Value
}

func (e *encoder) kvs(list []kv) {
	for _, x := range list {
		if e.key(x.key) {
			e.value(x.val, 0)
		}
	}
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

// dedupLast keeps, for each key, only the last element with that key, in
// order. It returns xs itself when no key repeats.
func dedupLast[T any](xs []T, key func(T) string) []T {
	if len(xs) < 2 {
		return xs
	}
	last := make(map[string]int, len(xs))
	for i, x := range xs {
		last[key(x)] = i
	}
	if len(last) == len(xs) {
		return xs
	}
	out := xs[:0]
	for i, x := range xs {
		if last[key(x)] == i {
			out = append(out, x)
		}
	}
	return out
}

func attrKey(a slog.Attr) string { return a.Key }

func kvKey(x kv) string { return x.key }

// flattenECS appends the attributes as dotted keys under prefix.
func flattenECS(dst []kv, prefix string, attrs []slog.Attr, depth int) []kv {
	for _, a := range attrs {
		v := a.Value.Resolve()
		if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
			continue
		}
		if v.Kind() == slog.KindGroup {
			if depth >= MaxDepth {
				dst = append(dst, kv{prefix + fixKey(a.Key), slog.StringValue(DepthMarker)})
				continue
			}
			p := prefix
			if a.Key != "" {
				p = prefix + fixKey(a.Key) + "."
			}
			dst = flattenECS(dst, p, v.Group(), depth+1)
			continue
		}
		key := prefix + fixKey(a.Key)
		if key == "error" {
			if err, ok := isError(v); ok {
				dst = append(dst,
					kv{"error.type", slog.StringValue(errorType(err))},
					kv{"error.message", slog.StringValue(errorText(err))})
				continue
			}
		}
		dst = append(dst, kv{key, v})
	}
	return dst
}
