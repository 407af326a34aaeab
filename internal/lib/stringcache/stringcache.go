package stringcache

import (
	"sync/atomic"
	"unsafe"
)

// maxLen bounds the strings a Table caches: a string of maxLen bytes or
// more always misses (a slot keeps 48 bits of a length).
const maxLen = 1 << 48

// Table is a two-way set-associative cache from a string's identity to a
// 64-bit value and a 16-bit tag: a string may sit in either slot of its
// pair, so two strings whose addresses hash alike do not evict each other
// on every call. Each slot is a seqlock: a reader that races a writer
// misses, never sees a torn entry, and a writer that races another gives
// up, so Lookup and Fill never block. See Fill for when a string takes the
// slot of another. The empty string is never cached.
//
// A cached address keeps its string's memory alive until the slot is
// reused: at most one string per slot. A Table is safe for concurrent use;
// build it with New.
type Table struct {
	slots []slot
	shift uint
}

type slot struct {
	seq  atomic.Uint64 // odd while a writer fills the slot; 0 while empty
	data atomic.Pointer[byte]
	meta atomic.Uint64 // len<<16 | tag
	val  atomic.Uint64
}

// New returns a Table of 2^bits slots (2^(bits-1) pairs); bits must be
// between 1 and 16.
func New(bits uint) *Table {
	if bits < 1 || bits > 16 {
		panic("stringcache: New: bits must be between 1 and 16")
	}
	return &Table{slots: make([]slot, 1<<bits), shift: 64 - bits}
}

// pairOf returns the index of the first slot of s's pair: a Fibonacci hash
// of its address and length, even.
func (t *Table) pairOf(s string) uint64 {
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) + uint64(len(s))) * 0x9E3779B97F4A7C15
	return h >> t.shift &^ 1
}

// read returns the entry of sl for s: its value and tag, the version read,
// and whether the slot holds s.
func (sl *slot) read(s string) (val uint64, tag uint16, seq uint64, ok bool) {
	seq = sl.seq.Load()
	data, meta, val := sl.data.Load(), sl.meta.Load(), sl.val.Load()
	// A slot being written (odd seq) or rewritten since seq was read
	// misses. An empty slot matches the empty string, which Lookup
	// never reads.
	ok = seq&1 == 0 && sl.seq.Load() == seq && data == unsafe.StringData(s) && meta>>16 == uint64(len(s))
	return val, uint16(meta), seq, ok
}

// Lookup returns the value and tag cached for s, and whether there were
// any; on a miss, also the probe of the slot Fill would cache s in: an
// empty slot of s's pair if there is one, else the second slot of the
// pair.
func (t *Table) Lookup(s string) (val uint64, tag uint16, p Probe, ok bool) {
	if len(s) == 0 {
		return 0, 0, Probe{}, false
	}
	i := t.pairOf(s)
	first := &t.slots[i]
	val, tag, seq0, ok := first.read(s)
	if ok {
		return val, tag, Probe{}, true
	}
	second := &t.slots[i+1]
	val, tag, seq1, ok := second.read(s)
	if ok {
		return val, tag, Probe{}, true
	}
	if seq0 == 0 {
		return 0, 0, Probe{sl: first}, false
	}
	return 0, 0, Probe{sl: second, seq: seq1}, false
}

// Probe is the slot a Lookup that missed chose for its string, and the
// version it read there. The zero Probe, of a hit, fills nothing.
type Probe struct {
	sl  *slot
	seq uint64
}

// Fill caches val and tag for s, the string whose Lookup returned p. It
// fills an empty slot, but replaces another string's entry only for about
// one draw in replaceOneIn (see evict, which mixes in s's address and the
// slot's version): strings seen once (keys built at run time, say) then
// cost their callers a miss, not a write on every call, and three strings
// that keep missing in the same pair do not keep evicting each other.
// draw is a number that changes from call to call if the caller has one
// at hand (the nanoseconds of a timestamp), else 0; with 0, a string that
// was not picked is picked again only once its slot changes. Fill does
// nothing when the slot changed since the Lookup or another goroutine is
// filling it, or for a string of maxLen bytes or more.
func (p Probe) Fill(s string, val uint64, tag uint16, draw uint64) {
	seq, sl := p.seq, p.sl
	if sl == nil || len(s) == 0 || uint64(len(s)) >= maxLen || seq&1 != 0 ||
		seq != 0 && !evict(s, draw^seq<<32) || !sl.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	sl.data.Store(unsafe.StringData(s))
	sl.meta.Store(uint64(len(s))<<16 | uint64(tag))
	sl.val.Store(val)
	sl.seq.Store(seq + 2)
}

// replaceOneIn is how many draws there are, on average, per draw for which
// evict reports true.
const replaceOneIn = 1 << 6

// evict reports whether a miss of s may replace another string's entry,
// for about one in replaceOneIn values of draw. It mixes in s's address,
// so that the strings of one call draw apart.
func evict(s string, draw uint64) bool {
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) ^ draw) * 0x9E3779B97F4A7C15
	return h>>58 == 0 // the top 6 bits: 1 in 64
}
