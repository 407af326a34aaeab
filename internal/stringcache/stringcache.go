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
// gives up, so Get and Put never block. A later Put to the same slot
// replaces the entry. The empty string is never cached.
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
// It is small enough to be inlined into its callers' hot paths.
func (t *Table) Get(s string) (val uint64, tag uint16, ok bool) {
	sl := t.slotOf(s)
	seq := sl.seq.Load()
	data, meta, val := sl.data.Load(), sl.meta.Load(), sl.val.Load()
	// A slot being written (odd seq) or rewritten since seq was read
	// misses; an empty slot holds no length, so the empty string misses.
	ok = seq&1 == 0 && sl.seq.Load() == seq && data == unsafe.StringData(s) && meta>>16 == uint64(len(s)) && len(s) != 0
	return val, uint16(meta), ok
}

// Put caches val and tag for s, unless another goroutine is filling its
// slot. A string of MaxLen bytes or more is not cached.
func (t *Table) Put(s string, val uint64, tag uint16) {
	if len(s) == 0 || uint64(len(s)) >= MaxLen {
		return
	}
	sl := t.slotOf(s)
	seq := sl.seq.Load()
	if seq&1 != 0 || !sl.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	sl.data.Store(unsafe.StringData(s))
	sl.meta.Store(uint64(len(s))<<16 | uint64(tag))
	sl.val.Store(val)
	sl.seq.Store(seq + 2)
}
