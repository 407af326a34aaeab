package jsonlog

import (
	"encoding/binary"
	"log/slog"
	"strconv"
	"time"
	"unsafe"
)

// The fused path writes the most common record in one pass: Flat, no group
// open, and call-site attributes whose keys are plain ASCII and whose values
// are strings, numbers, booleans, durations or times. It checks each key for
// a collision as it writes it and gives up (returns false) on the first key
// or value it does not handle; the caller then encodes the line again by the
// general path. Since it gives up before writing a value of any other kind
// (a LogValuer, a group, an any), it never calls user code, so encoding
// again has no visible effect.

// cleanKeyByte[c] reports whether byte c can appear in a key handled by the
// fused path: printable ASCII other than '"' and '\\'.
var cleanKeyByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// shortHash is flatHash of a key of n < 8 bytes, given as the little-endian
// word w of its bytes.
func shortHash(w uint64, n int) uint64 {
	h := (w ^ uint64(n)*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	return h ^ h>>31
}

// reservedFlatKeys lists the keys reservedFlat reports (source last).
var reservedFlatKeys = [...]string{"timestamp", "level", "logger", "event", truncatedKey, "source"}

// setFused decides whether the fused path applies to h and builds the set of
// the top-level keys a call key must not have: the reserved keys and the
// keys of WithAttrs.
func (h *Handler) setFused() {
	h.fused = h.format == Flat && len(h.groups) == 0 && !h.slowOnly
	if !h.fused {
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

// fusedLine encodes r into e, or returns false when the fused path does not
// apply (e.buf then holds garbage).
func (h *Handler) fusedLine(e *encoder, r *slog.Record, fr *fragment) bool {
	if fr != nil {
		for _, k := range h.levels[0].hashes {
			if fr.leaf.has(k) {
				return false
			}
		}
	}
	h.header(e, r)
	if fr != nil {
		e.buf = append(e.buf, fr.data...)
	}
	e.buf = append(e.buf, h.levels[0].frag...)
	var seen [maxFastAttrs]uint64
	ns := 0
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		kind := a.Value.Kind()
		n := len(a.Key)
		if kind < slog.KindBool || kind > slog.KindUint64 || n == 0 || ns == maxFastAttrs {
			ok = false
			return false
		}
		// key: clean ASCII only
		k := a.Key
		i := 0
		if n >= 8 {
			p := unsafe.Pointer(unsafe.StringData(k))
			for ; i+8 <= n; i += 8 {
				if needsEscape(*(*uint64)(unsafe.Add(p, i))) {
					ok = false
					return false
				}
			}
		}
		for ; i < n; i++ {
			if !cleanKeyByte[k[i]] {
				ok = false
				return false
			}
		}
		b := append(e.buf, ',', '"')
		b = append(b, k...)
		var hk uint64
		if n < 8 {
			// the 8 bytes ending the key, its own bytes in the high ones;
			// the buffer holds at least the header before it
			end := len(b)
			hk = shortHash(binary.LittleEndian.Uint64(b[end-8:end])>>(64-8*uint(n)), n)
		} else {
			hk = flatHash(k)
		}
		if h.topKeys.has(hk) || (fr != nil && fr.leaf.has(hk)) {
			ok = false
			return false
		}
		for j := 0; j < ns; j++ {
			if seen[j] == hk {
				ok = false
				return false
			}
		}
		seen[ns] = hk
		ns++
		b = append(b, '"', ':')
		switch kind {
		case slog.KindString:
			b = append(b, '"')
			b = appendEscaped(b, a.Value.String())
			b = append(b, '"')
		case slog.KindInt64:
			b = strconv.AppendInt(b, a.Value.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, a.Value.Uint64(), 10)
		case slog.KindFloat64:
			b = appendFloat(b, a.Value.Float64())
		case slog.KindBool:
			b = strconv.AppendBool(b, a.Value.Bool())
		case slog.KindDuration:
			b = strconv.AppendInt(b, int64(a.Value.Duration()), 10)
		case slog.KindTime:
			b = append(b, '"')
			b = a.Value.Time().UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, '"')
		}
		e.buf = b
		return true
	})
	if !ok {
		return false
	}
	e.buf = append(e.buf, '}', '\n')
	return true
}
