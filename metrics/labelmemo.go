package metrics

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// valueMemo is a label's memo of the indexes of values it has seen, keyed
// by the identity of the string (the address and length of its bytes), so
// that resolving a value emitted from a constant ("ok", "scan") costs one
// multiply, a load and a compare, inline in pack, and never reads the
// bytes.
//
// Each entry is one 64-bit word, read with one atomic load, so a reader
// never sees a torn entry and needs no seqlock:
//
//	address (48 bits) | length (6 bits) | index (10 bits)
//
// Only strings of 1 to 63 bytes at an address below 2^48 (every address
// the Go heap, stacks and binary use on 64-bit platforms) are memoized;
// others always miss, and resolve looks them up in the label's set.
//
// A word holds an address as an integer, which does not keep the string
// alive, so keep holds each entry's pointer. A writer clears the word
// before it changes keep and sets the word after, so whenever a word names
// an address, keep holds it: the bytes there cannot be freed and reused by
// another string while a reader may match them. Writers are serialized by
// mu, and one that finds it held gives up (the memo is a cache: a value
// not memoized is only looked up again).
type valueMemo struct {
	words [memoSlots]atomic.Uint64
	keep  [memoSlots]atomic.Pointer[byte]
	mu    sync.Mutex
	draws uint64 // misses that found their pair full, under mu
}

const (
	memoSlots     = 64 // 32 pairs: an entry sits in either slot of its pair
	memoSlotBits  = 6
	memoIndexBits = 10
	memoLenBits   = 6
	memoAddrBits  = 48
	// memoReplaceOneIn is how many misses, on average, replace an entry of
	// a full pair: values at fresh addresses (built at run time) then cost
	// a lookup, not a write on every call.
	memoReplaceOneIn = 16
)

// Every index of a label, but its overflow, fits the index bits.
var _ [1<<memoIndexBits - MaxLabelCap - 1]struct{}

// memoKey returns the identity of s, address<<6 | length, and bad, which
// is 0 when s can be memoized (1 to 63 bytes at an address below 2^48).
func memoKey(s string) (key, bad uint64) {
	addr := uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	n := uint64(len(s))
	return addr<<memoLenBits | n, addr>>memoAddrBits | n>>memoLenBits | (n-1)>>63 // n-1 wraps for 0
}

// memoPair returns the first slot of key's pair: a Fibonacci hash, even.
func memoPair(key uint64) uint64 {
	return key * 0x9E3779B97F4A7C15 >> (64 - memoSlotBits) &^ 1
}

// get returns the index memoized for s in the first slot of its pair, and
// whether there was one. It is small enough to inline, and has no branch;
// getSecond looks in the other slot.
func (m *valueMemo) get(s string) (uint16, bool) {
	key, bad := memoKey(s)
	w := m.words[memoPair(key)].Load()
	return uint16(w & (1<<memoIndexBits - 1)), (w>>memoIndexBits^key)|bad == 0
}

// getSecond is get for the second slot of s's pair.
func (m *valueMemo) getSecond(s string) (uint16, bool) {
	key, bad := memoKey(s)
	w := m.words[memoPair(key)|1].Load()
	return uint16(w & (1<<memoIndexBits - 1)), (w>>memoIndexBits^key)|bad == 0
}

// put memoizes idx for s after get missed: in an empty slot of its pair,
// or in place of the pair's second entry for about one call in
// memoReplaceOneIn.
func (m *valueMemo) put(s string, idx uint16) {
	key, bad := memoKey(s)
	if bad != 0 || !m.mu.TryLock() {
		return
	}
	defer m.mu.Unlock()
	i := memoPair(key)
	switch {
	case m.words[i].Load() == 0:
	case m.words[i|1].Load() == 0:
		i |= 1
	default:
		if m.draws++; m.draws%memoReplaceOneIn != 0 {
			return
		}
		// Move the first entry to the second slot and take the first,
		// so the pair keeps the two most recent of its values.
		m.set(i|1, m.words[i].Load(), m.keep[i].Load())
	}
	m.set(i, key<<memoIndexBits|uint64(idx), unsafe.StringData(s))
}

// set stores entry w, whose string's bytes are at p, in slot i, in the
// order valueMemo explains. It is called with mu held.
func (m *valueMemo) set(i, w uint64, p *byte) {
	m.words[i].Store(0)
	m.keep[i].Store(p)
	m.words[i].Store(w)
}
