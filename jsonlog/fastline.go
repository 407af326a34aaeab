package jsonlog

// This file holds the fused fast paths of line assembly: a record whose
// attributes are few, of plain kinds and plain keys is written in one pass,
// without building the key sets the general path (line.go) needs.

import "log/slog"

// The fused path writes the most common record in one pass: no group open,
// and call-site attributes whose keys are plain ASCII and whose values are
// strings, numbers, booleans, durations or times, the last one possibly an
// error. It checks each key for a collision as it writes it and stops at the
// first attribute it does not handle (a LogValuer, a group, an any other
// than a last error, an empty or non-ASCII key, a possible collision). For
// the flat layout the general path then either continues the line from
// there (when its fast path applies, the line so far is exactly the start of
// the fast line) or encodes the line again; for ECS it encodes the line
// again. The fused path writes a value that runs user code (an error's
// Error) only as the last attribute, after which it cannot give up, so
// nothing runs twice.

// setFused decides whether the fused path applies to h and builds the set of
// the top-level keys a call key must not have: the reserved keys and the
// keys of WithAttrs.
func (h *Handler) setFused() {
	h.fused = len(h.groups) == 0 && !h.slowOnly
	if !h.fused || h.format == ECS {
		h.topKeys = keySet{}
		return
	}
	var hs []uint64
	for _, k := range reservedFlatKeys {
		if reservedFlat(k, h.addSource) {
			hs = append(hs, flatHash(k))
		}
	}
	hs = append(hs, h.levels[0].hashes...)
	h.topKeys = newKeySet(hs)
}

// reservedFlatKeys lists the keys reservedFlat reports (source last).
var reservedFlatKeys = [...]string{"timestamp", "level", "logger", "event", truncatedKey, "trace_id", "span_id", "source"}

// fusedLine encodes r into e and reports complete, or stops at the
// call-site attribute done that it does not handle, e then holding the
// start of the line, up to that attribute. done is -1 when e holds nothing
// usable.
func (h *Handler) fusedLine(e *encoder, r *slog.Record, fr *fragment) (done int, complete bool) {
	if h.format == ECS {
		if h.fusedECSLine(e, r, fr) {
			return r.NumAttrs(), true
		}
		return -1, false
	}
	if fr != nil {
		if fr.dotted {
			return -1, false
		}
		for _, k := range h.levels[0].hashes {
			if fr.leaf.has(k) {
				return -1, false
			}
		}
		e.renamed += fr.renamed
	}
	h.header(e, r)
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
	}
	e.buf = append(e.buf, h.levels[0].frag...)
	e.renamed += h.flatRenamed
	var st [maxFastAttrs]slog.Attr
	call, ok := recordAttrs(r, &st)
	if !ok {
		return -1, false
	}
	var seen [maxFastAttrs]uint64
	draw := uint64(r.Time.Nanosecond())
	for ns := range call {
		a := &call[ns]
		kind, err, fusable := fusedKind(a.Value, ns == len(call)-1)
		if !fusable {
			return ns, false
		}
		kf := factsOf(a.Key, draw)
		hk := kf.hash
		if !kf.plain() || h.topKeys.has(hk) || (fr != nil && fr.leaf.has(hk)) {
			return ns, false
		}
		for j := 0; j < ns; j++ {
			if seen[j] == hk {
				return ns, false
			}
		}
		seen[ns] = hk
		e.fusedField(a.Key, a.Value, kind, err)
	}
	e.buf = append(e.buf, '}', '\n')
	return len(call), true
}

// recordAttrs copies the attributes of r into st and returns them, and
// false when there are more than st holds. The fused paths loop over the
// copy, with their state in registers, rather than in a closure. It counts
// the attributes as it copies them: NumAttrs, a method on a Record value,
// would copy the whole Record once more.
func recordAttrs(r *slog.Record, st *[maxFastAttrs]slog.Attr) ([]slog.Attr, bool) {
	n := 0
	r.Attrs(func(a slog.Attr) bool {
		if n == len(st) {
			n = -1
			return false
		}
		st[n] = a
		n++
		return true
	})
	if n < 0 {
		return nil, false
	}
	return st[:n], true
}

// fusedECSLine is the fused path of the ECS layout: it writes r in one pass
// and reports true, or gives up, leaving nothing usable in e, at the first
// attribute it does not handle or that could collide. Its collision rules
// are fastECS's for top-level attributes: no key equal to another, none a
// dotted prefix of another, none reserved, no ECS field whose value may not
// fit, and no "error" error (written as error.type and error.message).
func (h *Handler) fusedECSLine(e *encoder, r *slog.Record, fr *fragment) bool {
	if fr != nil && !h.ecsFragmentFits(fr) {
		return false
	}
	h.header(e, r)
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
		e.renamed += fr.renamed
	}
	e.buf = append(e.buf, h.ecs.frag...)
	e.renamed += h.ecs.renamed
	var st [maxFastAttrs]slog.Attr
	call, ok := recordAttrs(r, &st)
	if !ok {
		return false
	}
	c := ecsCheck{h: h, fr: fr}
	draw := uint64(r.Time.Nanosecond())
	for ns := range call {
		a := &call[ns]
		kind, err, fusable := fusedKind(a.Value, ns == len(call)-1)
		if !fusable {
			return false
		}
		var hk uint64
		if kf := factsOf(a.Key, draw); kf.plain() {
			if kf.ecsTaken(a.Key, a.Value) {
				return false
			}
			hk = segmentHashOf(h.ecs.callPrefixHash, kf.hash)
		} else {
			if ecsTopLeafTaken(a.Key, a.Value) {
				return false
			}
			var fits bool
			if hk, fits = c.plainKey(h.ecs.callPrefixHash, a.Key); !fits {
				return false
			}
		}
		if !c.addLeaf(hk) {
			return false
		}
		e.fusedField(a.Key, a.Value, kind, err)
	}
	e.buf = append(e.buf, '}', '\n')
	return true
}
