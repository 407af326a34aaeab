package jsonlog

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
)

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

// shortHash is flatHash of a key of n < 8 bytes, given as the little-endian
// word w of its bytes.
func shortHash(w uint64, n int) uint64 {
	h := (w ^ uint64(n)*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	return h ^ h>>31
}

// shortWord returns the bytes of s (len(s) < 8) as a little-endian word,
// reading them with at most three loads.
func shortWord(s string) uint64 {
	n := len(s)
	switch {
	case n >= 4:
		p := unsafe.Pointer(unsafe.StringData(s))
		lo := uint64(load32(p))
		hi := uint64(load32(unsafe.Add(p, n-4)))
		return lo | hi<<(8*uint(n-4))
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<(8*uint(n/2)) | uint64(s[n-1])<<(8*uint(n-1))
	}
	return 0
}

// load32 reads 4 bytes at p as a little-endian word.
func load32(p unsafe.Pointer) uint32 {
	b := (*[4]byte)(p)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// reservedFlatKeys lists the keys reservedFlat reports (source last).
var reservedFlatKeys = [...]string{"timestamp", "level", "logger", "event", truncatedKey, "source"}

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

// fusedKind reports whether the fused path writes a value of v's kind, and
// returns the kind and, for an error, the error. It writes scalars, and an
// error only as the record's last attribute (as its text, as the general
// path does): Error runs user code, and only after the last attribute can
// the fused path no longer give up and hand the record to the general path,
// which would call it again.
func fusedKind(v slog.Value, last bool) (slog.Kind, error, bool) {
	kind := v.Kind()
	if kind == slog.KindAny {
		err, isErr := isError(v)
		return kind, err, isErr && last
	}
	return kind, nil, kind <= slog.KindUint64
}

// fusedKeyHash returns flatHash of k and whether k is a plain key that
// takes the flat fast path: non-empty ASCII that JSON writes as it is, no
// dot, not starting with a space (so not blank).
func fusedKeyHash(k string) (uint64, bool) {
	if plain, dotted := scanPlain(k); !plain || dotted || k[0] == ' ' {
		return 0, false
	}
	return flatHash(k), true
}

// scanPlain reports whether k is non-empty ASCII that JSON writes as it is,
// and whether it holds a dot. The fused paths look a key's facts up by
// identity (factsOf) and scan it only on a miss, so it needs no pass of its
// own: jsonenc.Plain reads the key by words, IndexByte finds a dot.
func scanPlain(k string) (plain, dotted bool) {
	return k != "" && jsonenc.Plain(k), strings.IndexByte(k, '.') >= 0
}

// fusedField writes `,"k":v`, k being a plain key (JSON writes it as it is) and v of a kind fusedKind
// accepted.
func (e *encoder) fusedField(k string, v slog.Value, kind slog.Kind, err error) {
	b := e.buf
	n := len(b)
	if cap(b)-n < len(k)+4 {
		b = slices.Grow(b, len(k)+4)
	}
	b = b[:n+len(k)+4]
	b[n], b[n+1] = ',', '"'
	jsonenc.CopyShort(b[n+2:n+2+len(k)], k)
	b[n+2+len(k)], b[n+3+len(k)] = '"', ':'
	e.buf = appendFusedValue(b, v, kind, err)
}

// appendFusedValue appends v, of a kind fusedKind accepted, as the general
// path writes it.
func appendFusedValue(b []byte, v slog.Value, kind slog.Kind, err error) []byte {
	switch kind {
	case slog.KindString:
		b = append(b, '"')
		b = jsonenc.AppendEscaped(b, v.String())
		b = append(b, '"')
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		b = appendFloat(b, v.Float64())
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindTime:
		b = append(b, '"')
		b = v.Time().UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	case slog.KindAny:
		b = append(b, '"')
		b = jsonenc.AppendEscaped(b, errorText(err))
		b = append(b, '"')
	}
	return b
}
