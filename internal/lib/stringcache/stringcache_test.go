package stringcache

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// get returns the value and tag cached for s, and whether there were any.
func get(t *Table, s string) (val uint64, tag uint16, ok bool) {
	val, tag, _, ok = t.Lookup(s)
	return val, tag, ok
}

// put caches val and tag for s after a miss, as a caller without a draw
// does.
func put(t *Table, s string, val uint64, tag uint16) {
	if _, _, p, ok := t.Lookup(s); !ok {
		p.Fill(s, val, tag, 0)
	}
}

func TestGetReturnsWhatPutStored(t *testing.T) {
	tb := New(6)
	s := "status"
	if _, _, ok := get(tb, s); ok {
		t.Fatal("a new table has a hit")
	}
	put(tb, s, 42, 7)
	v, tag, ok := get(tb, s)
	if !ok || v != 42 || tag != 7 {
		t.Fatalf("Get = %d, %d, %v; want 42, 7, true", v, tag, ok)
	}
}

// TestFillReplacesForFewDraws: Fill fills an empty slot at once, but of
// the strings that miss in a full pair only about one draw in
// replaceOneIn takes a slot.
func TestFillReplacesForFewDraws(t *testing.T) {
	tb := New(1) // one pair
	put(tb, "first", 1, 1)
	put(tb, "second", 2, 2)
	for _, s := range []string{"first", "second"} {
		if _, _, ok := get(tb, s); !ok {
			t.Fatalf("%q, put into a pair with room, missed", s)
		}
	}
	const calls = 64 * replaceOneIn
	replaced := 0
	for i := range calls {
		s := strconv.Itoa(i) // a new string at a new address each time
		_, _, p, ok := tb.Lookup(s)
		if ok {
			t.Fatalf("a new string %q hit", s)
		}
		p.Fill(s, uint64(i), 0, uint64(i)*7919)
		if v, _, ok := get(tb, s); ok && v == uint64(i) {
			replaced++
		}
	}
	// About 64 expected; the bounds fail only on a broken draw (never, or
	// on most calls).
	if replaced < 16 || replaced > calls/16 {
		t.Fatalf("%d of %d new strings took a slot; want about %d", replaced, calls, calls/replaceOneIn)
	}
}

// TestTwoCollidingStringsBothStay: two strings that share a pair are both
// cached, however often each misses; in a direct-mapped table they would
// evict each other on every call.
func TestTwoCollidingStringsBothStay(t *testing.T) {
	tb := New(1)
	a, b := strings.Clone("scan"), strings.Clone("sink")
	for range 100 {
		for _, s := range []string{a, b} {
			if _, _, p, ok := tb.Lookup(s); !ok {
				p.Fill(s, 7, 7, 0)
			}
		}
	}
	for _, s := range []string{a, b} {
		if _, _, ok := get(tb, s); !ok {
			t.Errorf("%q missed after 100 rounds", s)
		}
	}
}

// TestHitFillsNothing: the probe of a hit is the zero Probe, whose Fill
// changes nothing.
func TestHitFillsNothing(t *testing.T) {
	tb := New(2)
	s := "status"
	put(tb, s, 1, 1)
	_, _, p, ok := tb.Lookup(s)
	if !ok || p != (Probe{}) {
		t.Fatalf("Lookup of a cached string = %v, %+v", ok, p)
	}
	p.Fill(s, 2, 2, 0)
	if v, _, _ := get(tb, s); v != 1 {
		t.Fatalf("Fill of a hit's probe changed the entry to %d", v)
	}
}

func TestEqualBytesAtAnotherAddressMiss(t *testing.T) {
	tb := New(6)
	a := strings.Repeat("k", 5)
	b := strings.Repeat("k", 5) // same bytes, other memory
	put(tb, a, 1, 1)
	if _, _, ok := get(tb, b); ok {
		t.Fatal("a string at another address hit the entry of an equal one")
	}
	// A substring shares the address of its string's first byte but not
	// its length.
	if _, _, ok := get(tb, a[:3]); ok {
		t.Fatal("a prefix hit the entry of its string")
	}
}

func TestEmptyStringIsNeverCached(t *testing.T) {
	tb := New(1)
	put(tb, "", 1, 1)
	if _, _, ok := get(tb, ""); ok {
		t.Fatal("the empty string hit")
	}
}

func TestCollidingStringsEvictEachOther(t *testing.T) {
	tb := New(1) // two slots: many strings share one
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
		put(tb, keys[i], uint64(i), uint16(i))
	}
	hits := 0
	for i, k := range keys {
		if v, tag, ok := get(tb, k); ok {
			hits++
			if v != uint64(i) || tag != uint16(i) {
				t.Fatalf("Get(%q) = %d, %d; want %d", k, v, tag, i)
			}
		}
	}
	if hits == 0 || hits > len(tb.slots) {
		t.Fatalf("%d hits in a table of %d slots", hits, len(tb.slots))
	}
}

func TestNewRefusesBadSizes(t *testing.T) {
	for _, bits := range []uint{0, 17} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", bits)
				}
			}()
			New(bits)
		}()
	}
}

// TestConcurrentUseNeverReturnsAnotherStringsEntry races writers that
// fill the same few slots against readers: a hit must always be the
// entry of the string looked up.
func TestConcurrentUseNeverReturnsAnotherStringsEntry(t *testing.T) {
	tb := New(2)
	keys := make([]string, 32)
	for i := range keys {
		keys[i] = "label-" + strconv.Itoa(i)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for n := 0; n < 20000; n++ {
				i := (n*7 + g) % len(keys)
				k := keys[i]
				if g%2 == 0 {
					put(tb, k, uint64(i)*1000, uint16(i))
					continue
				}
				if v, tag, ok := get(tb, k); ok && (v != uint64(i)*1000 || tag != uint16(i)) {
					errs <- k
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for k := range errs {
		t.Errorf("Get(%q) returned another string's entry", k)
	}
}
