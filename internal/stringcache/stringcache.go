package stringcache

import (
	"sync/atomic"
	"unsafe"
)

// MaxLen bounds the strings a Table caches: a string of MaxLen bytes or
// more always misses (a slot keeps 48 bits of a length).
const MaxLen = 1 << 48

// Table is a direct-mapped cache from a string's identity to a 64-bit
// value and a 16-bit tag. Each slot is a seqlock: a reader that races a
// writer misses, never sees a torn entry, and a writer that races another
// gives up, so Get and Put never block. See Put for when a string takes
// the slot of another. The empty string is never cached.
//
// A cached address keeps its string's memory alive until the slot is
// reused: at most one string per slot. A Table is safe for concurrent use;
// build it with New.
type Table struct {
	slots []slot
	shift uint
}

type slot struct {
	seq  atomic.Uint64 // odd while a writer fills the slot
	data atomic.Pointer[byte]
	meta atomic.Uint64 // len<<16 | tag
	val  atomic.Uint64
}

// New returns a Table of 2^bits slots; bits must be between 1 and 16.
func New(bits uint) *Table {
	if bits < 1 || bits > 16 {
		panic("stringcache: New: bits must be between 1 and 16")
	}
	return &Table{slots: make([]slot, 1<<bits), shift: 64 - bits}
}

// Len returns the number of slots of t.
func (t *Table) Len() int { return len(t.slots) }

// slotOf returns the slot of s: a Fibonacci hash of its address and
// length.
func (t *Table) slotOf(s string) *slot {
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) + uint64(len(s))) * 0x9E3779B97F4A7C15
	return &t.slots[h>>t.shift]
}

// Get returns the value and tag cached for s, and whether there were any.
func (t *Table) Get(s string) (val uint64, tag uint16, ok bool) {
	val, tag, _, ok = t.Lookup(s)
	return val, tag, ok
}

// Lookup is Get that also returns the probe of s's slot, for Fill to cache
// a value after a miss without finding the slot again.
func (t *Table) Lookup(s string) (val uint64, tag uint16, p Probe, ok bool) {
	sl := t.slotOf(s)
	seq := sl.seq.Load()
	data, meta, val := sl.data.Load(), sl.meta.Load(), sl.val.Load()
	// A slot being written (odd seq) or rewritten since seq was read
	// misses; an empty slot holds no length, so the empty string misses.
	ok = seq&1 == 0 && sl.seq.Load() == seq && data == unsafe.StringData(s) && meta>>16 == uint64(len(s)) && len(s) != 0
	return val, uint16(meta), Probe{sl: sl, seq: seq}, ok
}

// Probe is the slot a Lookup read, and the version it read.
type Probe struct {
	sl  *slot
	seq uint64
}

// Put caches val and tag for s, as Fill does with evict set.
func (t *Table) Put(s string, val uint64, tag uint16) {
	_, _, p, _ := t.Lookup(s)
	p.Fill(s, val, tag, true)
}

// Fill caches val and tag for s, the string looked up for p. It fills an
// empty slot, and replaces another string's entry only when evict is set.
// Callers that may see many strings only once (keys built at run time,
// say) set it now and then, about one miss in ReplaceOneIn (see Evict):
// such strings then cost a miss, not a write on every call, and cannot
// keep evicting the strings seen again and again. It does nothing when
// the slot changed since the Lookup or another goroutine is filling it,
// or for a string of MaxLen bytes or more.
func (p Probe) Fill(s string, val uint64, tag uint16, evict bool) {
	seq, sl := p.seq, p.sl
	if len(s) == 0 || uint64(len(s)) >= MaxLen || seq&1 != 0 || seq != 0 && !evict || !sl.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	sl.data.Store(unsafe.StringData(s))
	sl.meta.Store(uint64(len(s))<<16 | uint64(tag))
	sl.val.Store(val)
	sl.seq.Store(seq + 2)
}

// ReplaceOneIn is how many misses there are, on average, per miss for
// which Evict reports true.
const ReplaceOneIn = 1 << 6

// Evict reports whether a miss of s may replace another string's entry,
// for about one in ReplaceOneIn values of draw: a number that changes from
// call to call, such as the nanoseconds of a timestamp the caller already
// has. It mixes in s's address, so that the strings of one call draw
// apart.
func Evict(s string, draw uint64) bool {
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) ^ draw) * 0x9E3779B97F4A7C15
	return h>>58 == 0 // the top 6 bits: 1 in 64
}
