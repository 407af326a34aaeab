package jsonlog

// This file holds the key rules both layouts share: key hashes and sets,
// reserved keys, blank segments, renaming, empty attributes.

import (
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
)

// ECS keys are hashed segment by segment: the hash of "a.b" continues the
// state of "a" with the segment "b", so that the states met at a key's dots
// are the hashes of its dotted prefixes, and a segment is hashed by words
// (flatHash), not byte by byte. Good enough to rule out collisions before
// comparing strings.
const keySeed = 14695981039346656037

// segmentHash continues the key hash h with one more segment.
func segmentHash(h uint64, seg string) uint64 { return segmentHashOf(h, flatHash(seg)) }

// segmentHashOf is segmentHash for a segment whose flatHash is seg.
func segmentHashOf(h, seg uint64) uint64 {
	h = (h ^ seg) * 0x9E3779B97F4A7C15
	return h ^ h>>29
}

// hashKey is the hash of a full dotted key ("" is the empty path).
func hashKey(s string) uint64 {
	h := uint64(keySeed)
	if s == "" {
		return h
	}
	for {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return segmentHash(h, s)
		}
		h = segmentHash(h, s[:i])
		s = s[i+1:]
	}
}

// flatHash is a cheaper hash for the flat layout's top-level keys: the
// length and the first and last 8 bytes, mixed.
func flatHash(s string) uint64 {
	n := len(s)
	if n < 8 {
		return shortHash(shortWord(s), n)
	}
	p := unsafe.Pointer(unsafe.StringData(s))
	a := *(*uint64)(p)
	z := *(*uint64)(unsafe.Add(p, n-8))
	h := (a ^ uint64(n)*0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
	h ^= h >> 31
	h = (h ^ z) * 0x94D049BB133111EB
	return h ^ h>>29
}

// keySet is a small open-addressing set of key hashes. A hit may be a false
// positive (two keys with one hash); callers then take the exact slow path.
type keySet struct {
	tab  []uint64
	list []uint64
}

func newKeySet(hashes []uint64) keySet {
	if len(hashes) == 0 {
		return keySet{}
	}
	size := 8
	for size < 2*len(hashes) {
		size *= 2
	}
	s := keySet{tab: make([]uint64, size), list: hashes}
	mask := uint64(size - 1)
	for _, h := range hashes {
		h |= 1
		i := h & mask
		for s.tab[i] != 0 && s.tab[i] != h {
			i = (i + 1) & mask
		}
		s.tab[i] = h
	}
	return s
}

func (s *keySet) has(h uint64) bool {
	if len(s.tab) == 0 {
		return false
	}
	h |= 1
	mask := uint64(len(s.tab) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.tab[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// fixKey returns key with each byte of invalid UTF-8 replaced by U+FFFD,
// as the escaper writes it, so that keys are compared as they are written.
func fixKey(key string) string {
	if utf8.ValidString(key) {
		return key
	}
	var b strings.Builder
	for i := 0; i < len(key); {
		r, size := utf8.DecodeRuneInString(key[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(key[i : i+size])
		}
		i += size
	}
	return b.String()
}

// cleanKey returns key with every empty or blank (white-space only)
// dot-separated segment replaced by "_": Elasticsearch rejects a field
// name that is empty, blank, or has an empty segment ("a..b", ".a", "a.").
func cleanKey(key string) string {
	if !hasBlankSegment(key) {
		return key
	}
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if blank(p) {
			parts[i] = "_"
		}
	}
	return strings.Join(parts, ".")
}

// hasBlankSegment reports whether a dot-separated segment of key is empty
// or blank.
func hasBlankSegment(key string) bool {
	start := 0
	for i := 0; i <= len(key); i++ {
		if i == len(key) || key[i] == '.' {
			if blank(key[start:i]) {
				return true
			}
			start = i + 1
		}
	}
	return false
}

// blank reports whether s is empty or only white space.
func blank(s string) bool {
	if s != "" && s[0] != ' ' && s[0] < utf8.RuneSelf && s[0] > ' ' {
		return false
	}
	return strings.TrimFunc(s, unicode.IsSpace) == ""
}

// renamePrefix is prepended to a field key that collides with a key the
// handler writes itself: a field "level" is written as "fields.level".
const renamePrefix = "fields."

// leafSuffix is appended to a key that is both a value and the dotted
// prefix of another key of the line: "a":"x" beside "a.b" is written as
// "a.value":"x".
const leafSuffix = ".value"

// truncatedKey is the key added to a line that MaxLineBytes truncated.
const truncatedKey = "_truncated"

// reservedFlat reports whether key is a top-level key of the Flat format.
func reservedFlat(key string, addSource bool) bool {
	switch key {
	case "timestamp", "level", "logger", "event", truncatedKey, "trace_id", "span_id":
		return true
	case "source":
		return addSource
	}
	return false
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

// isEmptyAttr reports whether a is an attribute slog leaves out.
func isEmptyAttr(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
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
