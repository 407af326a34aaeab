package metrics

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

func closedLabel(t *testing.T, values ...string) *Label {
	t.Helper()
	l, err := (&labelSpec{hasValues: true, values: values}).build("status")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func cappedLabel(t *testing.T, limit int) *Label {
	t.Helper()
	l, err := (&labelSpec{cap: limit}).build("operation")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestResolveHitsTheMemoForAConstant: the second resolve of a string at one
// address is answered by the memo, with the index the lookup gave.
func TestResolveHitsTheMemoForAConstant(t *testing.T) {
	l := closedLabel(t, "ok", "error", "cancelled")
	for want, v := range []string{"ok", "error", "cancelled"} {
		if got := l.resolve(v); int(got) != want {
			t.Fatalf("resolve(%q) = %d, want %d", v, got, want)
		}
		i, ok := l.memo.get(v)
		if !ok {
			i, ok = l.memo.getSecond(v)
		}
		if !ok || int(i) != want {
			t.Fatalf("after resolve(%q), the memo holds %d, %v; want %d, true", v, i, ok, want)
		}
	}
}

// TestResolveIsRightForEveryIdentity: the same bytes at another address,
// a prefix at the same address, the empty string and strings too long to
// memoize all resolve to their own value's index, before and after the
// memo holds their neighbours.
func TestResolveIsRightForEveryIdentity(t *testing.T) {
	long := strings.Repeat("x", 64)
	l := closedLabel(t, "ok", "okay", long, long+"y")
	okay := strings.Clone("okay")
	ok := okay[:2] // "ok" at the address of "okay"
	cases := []struct {
		v    string
		want int
	}{
		{okay, 1}, {ok, 0}, {strings.Clone("ok"), 0}, {"", 4}, {long, 2}, {strings.Clone(long), 2},
		{long + "y", 3}, {"ok!"[:2], 0}, {okay[:3], 4},
	}
	for round := range 3 {
		for _, c := range cases {
			if got := l.resolve(c.v); int(got) != c.want {
				t.Fatalf("round %d: resolve(%q) = %d, want %d", round, c.v, got, c.want)
			}
		}
	}
	if _, ok := l.memo.get(long); ok {
		t.Fatal("a string of 64 bytes was memoized")
	}
	if _, ok := l.memo.get(""); ok {
		t.Fatal("the empty string was memoized")
	}
}

// TestMemoNeverAnswersForFreedMemory: values built at run time are
// memoized, dropped and collected, and new strings of the same length are
// built, likely at the same addresses. Each must resolve to its own index:
// the memo keeps alive the bytes of every address it names.
func TestMemoNeverAnswersForFreedMemory(t *testing.T) {
	l := cappedLabel(t, 300)
	want := map[string]uint16{}
	for round := range 20 {
		for i := range 40 {
			v := strconv.Itoa(round*100_000 + i%15) // fresh bytes, 15 distinct values a round
			got := l.resolve(v)
			w, seen := want[v]
			if !seen {
				w = uint16(len(want))
				if len(want) >= 300 {
					w = uint16(l.Overflow())
				} else {
					want[v] = w
				}
			}
			if got != w {
				t.Fatalf("round %d: resolve(%q) = %d, want %d", round, v, got, w)
			}
		}
		runtime.GC()
	}
}

// TestMemoFillsAPairThenReplacesRarely: strings missing in a full pair
// replace an entry for about one miss in memoReplaceOneIn.
func TestMemoFillsAPairThenReplacesRarely(t *testing.T) {
	var m valueMemo
	// Find strings whose identities share one pair.
	var same []string
	for i := 0; len(same) < 2+64*memoReplaceOneIn; i++ {
		s := strconv.Itoa(1_000_000 + i)
		if k, _ := memoKey(s); memoPair(k) == 0 {
			same = append(same, s)
		}
	}
	m.put(same[0], 1)
	m.put(same[1], 2)
	for j, s := range same[:2] {
		i, ok := m.get(s)
		if !ok {
			i, ok = m.getSecond(s)
		}
		if !ok || int(i) != j+1 {
			t.Fatalf("%q, put into a pair with room: %d, %v", s, i, ok)
		}
	}
	replaced := 0
	for _, s := range same[2:] {
		m.put(s, 3)
		if i, ok := m.get(s); ok && i == 3 {
			replaced++
		}
	}
	if n := len(same) - 2; replaced != n/memoReplaceOneIn {
		t.Fatalf("%d of %d misses replaced an entry; want %d", replaced, n, n/memoReplaceOneIn)
	}
}

// TestMemoKeyRejectsWhatItCannotHold: only 1 to 63 bytes are memoized.
func TestMemoKeyRejectsWhatItCannotHold(t *testing.T) {
	b := strings.Repeat("y", 80)
	if addr := uint64(uintptr(unsafe.Pointer(unsafe.StringData(b)))); addr>>memoAddrBits != 0 {
		t.Skipf("this platform's heap is above 2^%d; the memo is never used", memoAddrBits)
	}
	for n, want := range map[int]bool{0: false, 1: true, 63: true, 64: false, 80: false} {
		_, bad := memoKey(b[:n])
		if (bad == 0) != want {
			t.Errorf("memoKey of %d bytes: bad = %#x, want memoizable %v", n, bad, want)
		}
	}
}

// TestResolveConcurrently: goroutines resolving overlapping values, some
// built at run time, always get each value's one index (run with -race).
func TestResolveConcurrently(t *testing.T) {
	l := cappedLabel(t, 64)
	values := make([]string, 48)
	for i := range values {
		values[i] = "op" + strconv.Itoa(i)
	}
	index := make([]uint16, len(values))
	for i, v := range values {
		index[i] = l.resolve(v)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 5000 {
				i := (n*7 + g) % len(values)
				v := values[i]
				if n%3 == 0 {
					v = strings.Clone(v) // the same bytes at a new address
				}
				if got := l.resolve(v); got != index[i] {
					t.Errorf("goroutine %d: resolve(%q) = %d, want %d", g, v, got, index[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}
