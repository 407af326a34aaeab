package metrics

import (
	"sync/atomic"
	"unsafe"
)

// labelCache remembers, for the strings a label was last resolved from,
// the address of their bytes and the index they resolved to, so that a
// label emitted from a string constant (the usual case: "ok", "scan") is
// resolved by comparing an address and a length, not the bytes. It is a
// direct-mapped table of cacheSlots slots, each a seqlock: a reader that
// races a writer misses and takes the slow path, never a wrong index.
//
// A cached address keeps its string's memory alive until the slot is
// reused: at most cacheSlots strings per label.
type labelCache struct {
	slots [cacheSlots]cacheSlot
}

// cacheSlots is the number of slots of a label's cache, a power of two.
const cacheSlots = 64

type cacheSlot struct {
	seq  atomic.Uint64 // odd while a writer fills the slot
	data atomic.Pointer[byte]
	meta atomic.Uint64 // len<<16 | index
}

// slotOf returns the slot of v: a Fibonacci hash of its address and length.
func (c *labelCache) slotOf(v string) *cacheSlot {
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(v)))) + uint64(len(v))) * 0x9E3779B97F4A7C15
	return &c.slots[h>>(64-6)]
}

// get returns the index cached for v. Two strings with the same address
// and length hold the same bytes (Go strings are immutable), and the cached
// address keeps its bytes alive, so a hit is exact.
func (c *labelCache) get(v string) (uint16, bool) {
	if len(v) == 0 || len(v) > 1<<20 {
		return 0, false
	}
	s := c.slotOf(v)
	seq := s.seq.Load()
	if seq&1 != 0 {
		return 0, false
	}
	data, meta := s.data.Load(), s.meta.Load()
	if s.seq.Load() != seq || data != unsafe.StringData(v) || meta>>16 != uint64(len(v)) {
		return 0, false
	}
	return uint16(meta), true
}

// put caches the index of v, unless another goroutine is filling its slot.
func (c *labelCache) put(v string, idx uint16) {
	if len(v) == 0 || len(v) > 1<<20 {
		return
	}
	s := c.slotOf(v)
	seq := s.seq.Load()
	if seq&1 != 0 || !s.seq.CompareAndSwap(seq, seq+1) {
		return
	}
	s.data.Store(unsafe.StringData(v))
	s.meta.Store(uint64(len(v))<<16 | uint64(idx))
	s.seq.Store(seq + 2)
}
