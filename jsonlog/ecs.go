package jsonlog

// This file is the ECS layout: dotted top-level keys around the ECS fields
// the handler writes itself, checked against the ECS mapping (ecsmapping.go).

import (
	"log/slog"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/logctx"
)

func (h *Handler) fastECS(fr *fragment, call []slog.Attr) bool {
	if fr != nil && !h.ecsFragmentFits(fr) {
		return false
	}
	if len(call) == 0 {
		return true
	}
	for _, k := range h.ecs.callPrefixHashes {
		if (fr != nil && fr.leaf.has(k)) || h.ecs.leaf.has(k) {
			return false
		}
	}
	c := ecsCheck{h: h, fr: fr}
	return c.attrs(call, h.ecs.callPrefixHash, len(h.groups), true)
}

// ecsFragmentFits reports whether the context fields of fr and the keys of
// the handler's WithAttrs are free of ECS conflicts: no key of one equal
// to, or a dotted prefix of, a key of the other.
func (h *Handler) ecsFragmentFits(fr *fragment) bool {
	for _, k := range h.ecs.leaf.list {
		if fr.leaf.has(k) || fr.prefix.has(k) {
			return false
		}
	}
	for _, k := range h.ecs.prefix.list {
		if fr.leaf.has(k) {
			return false
		}
	}
	return true
}

// ecsState is what the ECS layout keeps per handler, beside the state both
// layouts share: the WithAttrs fragment and its key sets, and the prefix
// the open groups give call-site keys.
type ecsState struct {
	frag             []byte
	leaf             keySet
	prefix           keySet
	callPrefix       string
	callPrefixEsc    []byte
	callPrefixHash   uint64
	callPrefixHashes []uint64
	renamed          int // fields of frag written under another key than their own
}

type ecsCheck struct {
	h    *Handler
	fr   *fragment
	leaf [2 * maxFastAttrs]uint64
	nl   int
	pre  [2 * maxFastAttrs]uint64
	np   int
}

func (c *ecsCheck) isLeaf(k uint64) bool {
	if (c.fr != nil && c.fr.leaf.has(k)) || c.h.ecs.leaf.has(k) {
		return true
	}
	for i := 0; i < c.nl; i++ {
		if c.leaf[i] == k {
			return true
		}
	}
	return false
}

func (c *ecsCheck) isPrefix(k uint64) bool {
	if (c.fr != nil && c.fr.prefix.has(k)) || c.h.ecs.prefix.has(k) {
		return true
	}
	for i := 0; i < c.np; i++ {
		if c.pre[i] == k {
			return true
		}
	}
	return false
}

// addPrefix records a proper prefix of a call key; false on a conflict.
func (c *ecsCheck) addPrefix(k uint64) bool {
	if c.isLeaf(k) || c.np == len(c.pre) {
		return false
	}
	c.pre[c.np] = k
	c.np++
	return true
}

// key hashes key after state, recording its inner dotted prefixes; it
// returns the hash of the key, or false on a conflict or a segment that
// may be blank.
func (c *ecsCheck) key(state uint64, key string) (uint64, bool) {
	if key == "" || key[0] == '.' || maybeBlank(key[0]) {
		return 0, false
	}
	start := 0
	for i := 0; i < len(key); i++ {
		if key[i] != '.' {
			continue
		}
		if i+1 == len(key) || key[i+1] == '.' || maybeBlank(key[i+1]) {
			return 0, false
		}
		state = segmentHash(state, key[start:i])
		if !c.addPrefix(state) {
			return 0, false
		}
		start = i + 1
	}
	return segmentHash(state, key[start:]), true
}

func (c *ecsCheck) attrs(as []slog.Attr, state uint64, depth int, top bool) bool {
	if depth >= MaxDepth || len(as) > maxFastAttrs {
		return false
	}
	noPrefix := c.h.ecs.callPrefix == ""
	for i := range as {
		a := &as[i]
		kind := a.Value.Kind()
		if kind == slog.KindLogValuer && !top {
			return false
		}
		if isEmptyAttr(*a) {
			continue
		}
		if (a.Key == "" && kind == slog.KindGroup) || !utf8.ValidString(a.Key) {
			return false
		}
		if noPrefix && top {
			if kind == slog.KindGroup {
				first, _, _ := strings.Cut(a.Key, ".")
				if ecsNamespace(first) {
					return false
				}
			} else if ecsTopLeafTaken(a.Key, a.Value) {
				return false
			}
		}
		k, ok := c.key(state, a.Key)
		if !ok {
			return false
		}
		if kind == slog.KindGroup {
			if !c.addPrefix(k) {
				return false
			}
			if !c.attrs(a.Value.Group(), k, depth+1, false) {
				return false
			}
			continue
		}
		if !c.addLeaf(k) {
			return false
		}
	}
	return true
}

// plainKey is key for the fused path: it also refuses a key that is not
// ASCII JSON writes as it is (scanPlain).
func (c *ecsCheck) plainKey(state uint64, key string) (uint64, bool) {
	plain, dotted := scanPlain(key)
	switch {
	case !plain || maybeBlank(key[0]):
		return 0, false
	case dotted:
		return c.key(state, key)
	}
	return segmentHash(state, key), true
}

// addLeaf records the key hash of a call attribute's value; false on a
// conflict (the key is already a value or a dotted prefix) or when full.
func (c *ecsCheck) addLeaf(k uint64) bool {
	if c.isLeaf(k) || c.isPrefix(k) || c.nl == len(c.leaf) {
		return false
	}
	c.leaf[c.nl] = k
	c.nl++
	return true
}

// maybeBlank reports whether a key segment starting with b may be blank
// (see cleanKey), which only the general path decides.
func maybeBlank(b byte) bool { return b <= ' ' || b >= utf8.RuneSelf }

// ecsTopLeafTaken reports whether a top-level call attribute holding v may
// not be written under key as it is, without the general path's checks:
// its first segment is one the format writes itself, or it is an ECS
// field that v may not fit (an "error" holding an error, written as
// error.type and error.message, never does).
func ecsTopLeafTaken(key string, v slog.Value) bool {
	if key == "" {
		return false
	}
	lengths := ecsFirstSegments[key[0]]
	if lengths == 0 {
		return false
	}
	first := ""
	for ; lengths != 0; lengths &= lengths - 1 {
		n := bits.TrailingZeros64(lengths)
		if n > len(key) {
			return false
		}
		if (n == len(key) || key[n] == '.') && strings.IndexByte(key[:n], '.') < 0 {
			first = key[:n]
			break
		}
	}
	if first == "" {
		return false
	}
	if ecsFirstSegment(first) {
		return true
	}
	if first == "labels" && key != "labels" { // a label: one keyword
		return ecsLabelKey(key) != key || v.Kind() == slog.KindAny || v.Kind() >= slog.KindGroup
	}
	return ecsRoot(first) && !ecsFastFits(key, v)
}

func (h *Handler) fastBodyECS(e *encoder, fr *fragment, call []slog.Attr) {
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
		e.renamed += fr.renamed
	}
	e.buf = append(e.buf, h.ecs.frag...)
	e.renamed += h.ecs.renamed
	var path [MaxDepth]string
	for i := range call {
		e.ecsField(h.ecs.callPrefixEsc, path[:0], call[i], len(h.groups))
	}
}

func (h *Handler) slowBodyECS(e *encoder, f *logctx.Fields, call []slog.Attr) {
	var list []kv
	if f.Len() > 0 {
		attrs := make([]slog.Attr, f.Len())
		for i := range attrs {
			attrs[i] = f.At(i)
		}
		list = flattenECS(list, "", attrs, 0)
	}
	prefix := ""
	for i := range h.levels {
		if i > 0 {
			prefix += fixKey(h.groups[i-1]) + "."
		}
		list = flattenECS(list, prefix, h.levels[i].raw, i)
	}
	list = flattenECS(list, prefix, call, len(h.groups))
	list, renamed := processECS(list)
	e.renamed += renamed
	e.kvs(list)
}

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

func (e *encoder) kvs(list []kv) {
	for _, x := range list {
		if e.key(x.key) {
			e.value(x.val, 0)
		}
	}
}

func ecsHashes(list []kv) (leaf, pre []uint64) {
	for _, x := range list {
		leaf = append(leaf, hashKey(x.key))
		for j := 0; j < len(x.key); j++ {
			if x.key[j] == '.' {
				pre = append(pre, hashKey(x.key[:j]))
			}
		}
	}
	return leaf, pre
}
