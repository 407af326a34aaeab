package jsonlog

import (
	"math"
	"math/rand"
	"strconv"
	"testing"

	"github.com/milestone-go/milestone/internal/jsonenc"
)

func TestShortFloatRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vals := []float64{0, 1, -1, 12.5, 0.1, 0.001, 0.0001, 1e10, -99999.9999, 3.14159, 1e-7, 1e21, 123456789.125, 0.30000000000000004}
	for i := 0; i < 200000; i++ {
		vals = append(vals, float64(rng.Intn(2000000)-1000000)/pow10[rng.Intn(5)], rng.NormFloat64()*math.Pow(10, float64(rng.Intn(30)-15)))
	}
	for _, f := range vals {
		b := appendFloat(nil, f)
		g, err := strconv.ParseFloat(string(b), 64)
		if err != nil || g != f {
			t.Fatalf("%v -> %s -> %v, %v", f, b, g, err)
		}
		if want := strconv.FormatFloat(f, 'f', -1, 64); math.Abs(f) >= 1e-6 && math.Abs(f) < 1e21 && string(b) != want {
			t.Fatalf("%v: got %s, strconv %s", f, b, want)
		}
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
			want := c >= 0x80 || !jsonenc.SafeASCII[c]
			if got := jsonenc.NeedsEscape(w); got != want {
				t.Fatalf("byte %#x at %d: NeedsEscape=%v want %v", c, pos, got, want)
			}
		}
	}
}
