package jsonenc

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendStringRoundTrips(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ backslash`, "tab\tnl\ncr\r\x00\x1f", "héllo wörld ✓",
		"a\u2028b\u2029c", strings.Repeat("long ascii run ", 10) + "\x01"}
	for _, s := range cases {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Errorf("AppendString(%q) = %s, decodes to %q, %v", s, out, back, err)
		}
	}
	if got := string(AppendString(nil, "a\u2028")); !strings.Contains(got, `\u2028`) {
		t.Errorf("U+2028 not escaped: %s", got)
	}
}

func TestInvalidUTF8BecomesReplacementChar(t *testing.T) {
	out := AppendString(nil, "ok\xffok\xc3")
	if string(out) != `"ok\ufffdok\ufffd"` {
		t.Errorf("got %s", out)
	}
}

func TestNeedsEscapeIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		w := r.Uint64()
		want := false
		for i := range 8 {
			c := byte(w >> (8 * i))
			if c >= 0x80 || !SafeASCII[c] {
				want = true
			}
		}
		if got := NeedsEscape(w); got != want {
			t.Fatalf("NeedsEscape(%#x) = %v, want %v", w, got, want)
		}
	}
}

func TestAppendTimestampMatchesTimeFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{time.Unix(0, 0), time.Date(2026, 3, 14, 10, 30, 0, 999_999_999, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 0, time.FixedZone("x", 3600)), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 6, 1, 0, 0, 0, 0, time.UTC)}
	for range 5000 {
		times = append(times, time.Unix(r.Int64N(253402300799+62135596800)-62135596800, r.Int64N(1e9)))
	}
	for _, tm := range times {
		want := `"` + tm.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`
		if got := string(AppendTimestamp(nil, tm)); got != want {
			t.Fatalf("AppendTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestAppendAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		b := AppendString(buf[:0], "héllo \"world\"\n")
		_ = AppendTimestamp(b, now)
	}); n != 0 {
		t.Errorf("allocated %v times", n)
	}
}

// The day cache starts empty (0), which must not be read as 1970-01-01's
// entry: the epoch was once written as 0000-00-00.
func TestEpochWithEmptyDayCache(t *testing.T) {
	dayCache.Store(0)
	if got := string(AppendTimestamp(nil, time.Unix(0, 0))); got != `"1970-01-01T00:00:00.000Z"` {
		t.Errorf("epoch = %s", got)
	}
}

func TestNeedsEscapeMatchesTable(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			buf := []byte("abcdefgh")
			buf[pos] = byte(c)
			w := uint64(0)
			for j := 7; j >= 0; j-- {
				w = w<<8 | uint64(buf[j])
			}
			want := c >= 0x80 || !SafeASCII[c]
			if got := NeedsEscape(w); got != want {
				t.Fatalf("byte %#x at %d: NeedsEscape=%v want %v", c, pos, got, want)
			}
		}
	}
}

// TestAppendTimestampWithinASecond writes the milliseconds of one second,
// then of the next, in turn: the second cache hits for all but the first
// of each second, and every text must still match time.Format.
func TestAppendTimestampWithinASecond(t *testing.T) {
	base := time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)
	for i := range 3000 {
		tm := base.Add(time.Duration(i%2000) * time.Millisecond).Add(time.Duration(i/2000) * 37 * time.Hour)
		want := `"` + tm.Format("2006-01-02T15:04:05.000Z07:00") + `"`
		if got := string(AppendTimestamp([]byte("x"), tm)); got != "x"+want {
			t.Fatalf("AppendTimestamp(%v) = %s, want x%s", tm, got, want)
		}
	}
}

// TestAppendTimestampConcurrent: goroutines writing different seconds race
// on the second cache; none may write another second's text.
func TestAppendTimestampConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, 64)
			for i := range 5000 {
				tm := time.Unix(1_800_000_000+int64(g*7+i%3), int64(i%1000)*1e6)
				want := `"` + tm.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`
				if got := string(AppendTimestamp(buf[:0], tm)); got != want {
					errs <- got + " for " + want
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestPlainIsExact: for every length up to 20 and every byte at every
// position, Plain agrees with a byte-by-byte reading of SafeASCII.
func TestPlainIsExact(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 || !SafeASCII[s[i]] {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 20; n++ {
		if got := Plain(strings.Repeat("a", n)); !got {
			t.Fatalf("Plain(%d × a) = false", n)
		}
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				if got, want := Plain(string(b)), ref(string(b)); got != want {
					t.Fatalf("Plain(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// TestCopyShortCopiesEveryLength: CopyShort and AppendShort write exactly
// the string, at every length their word paths and their fallback take,
// and nothing beside it.
func TestCopyShortCopiesEveryLength(t *testing.T) {
	for n := 0; n <= 40; n++ {
		s := strings.Repeat("abcdefghij", 4)[:n]
		buf := []byte(strings.Repeat("#", n+4))
		CopyShort(buf[2:2+n], s)
		if got, want := string(buf), "##"+s+"##"; got != want {
			t.Fatalf("CopyShort of %d bytes wrote %q, want %q", n, got, want)
		}
		if got := string(AppendShort([]byte("##"), s)); got != "##"+s {
			t.Fatalf("AppendShort of %d bytes = %q", n, got)
		}
		small := make([]byte, 1, 1) // no room: AppendShort grows it
		if got := string(AppendShort(small, s)); got != "\x00"+s {
			t.Fatalf("AppendShort of %d bytes into a full slice = %q", n, got)
		}
	}
}
