package jsonlog

// This file caches, per key string, what its bytes alone decide for the
// fused paths: whether it is plain, its hash, and its ECS class.

import (
	"log/slog"
	"strings"

	"github.com/milestone-go/milestone/internal/lib/jsonenc"
	"github.com/milestone-go/milestone/internal/lib/stringcache"
)

// keyFacts is what the fused paths need to know about a call attribute's
// key that its bytes alone decide: computed once per key string and kept in
// keyCache, so that a key written as a constant at its call site (the usual
// case) is checked by comparing an address and a length, not by reading
// and hashing its bytes on every line.
type keyFacts struct {
	hash  uint64 // flatHash of the key, when it is plain
	flags uint16
}

const (
	// keyPlain is set for a plain key: non-empty ASCII that JSON writes as
	// it is, with no dot, not starting with a space (fusedKeyHash).
	keyPlain uint16 = 1 << iota
	// keyECSOwn is set for a plain key the ECS format writes itself
	// (ecsFirstSegment): an attribute under it always needs the general
	// path.
	keyECSOwn
	// keyECSField is set for a plain key that is an ECS root field
	// (ecsRoot): the fused path writes it only when the value plainly fits
	// (ecsFastFits).
	keyECSField
)

// keyCacheBits sizes keyCache: 256 slots, shared by every Handler, since
// the facts depend on the key's bytes alone.
const keyCacheBits = 8

var keyCache = stringcache.New(keyCacheBits)

// factsOf returns the facts of k, from keyCache when this string was seen
// before. draw changes from line to line (the nanoseconds of the record's
// time): on a miss, it decides whether k may take another key's slot
// (stringcache.Probe.Fill), so that keys built at run time, which always
// miss, do not write the cache on every line.
func factsOf(k string, draw uint64) keyFacts {
	h, flags, probe, ok := keyCache.Lookup(k)
	if ok {
		return keyFacts{hash: h, flags: flags}
	}
	f := computeFacts(k)
	probe.Fill(k, f.hash, f.flags, draw)
	return f
}

// computeFacts is factsOf without the cache.
func computeFacts(k string) keyFacts {
	h, plain := fusedKeyHash(k)
	if !plain {
		return keyFacts{}
	}
	f := keyFacts{hash: h, flags: keyPlain}
	if len(k) >= 64 || ecsFirstSegments[k[0]]&(1<<len(k)) == 0 {
		return f // neither an ECS root nor the format's own: most keys
	}
	switch {
	case ecsFirstSegment(k):
		f.flags |= keyECSOwn
	case ecsRoot(k):
		f.flags |= keyECSField
	}
	return f
}

// plain reports whether the key is plain (see keyPlain).
func (f keyFacts) plain() bool { return f.flags&keyPlain != 0 }

// ecsTaken is ecsTopLeafTaken for the plain key key, whose facts f are:
// whether a top-level call attribute holding v may not be written under
// key as it is.
func (f keyFacts) ecsTaken(key string, v slog.Value) bool {
	return f.flags&keyECSOwn != 0 || f.flags&keyECSField != 0 && !ecsFastFits(key, v)
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
