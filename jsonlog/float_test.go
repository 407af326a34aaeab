package jsonlog

import (
	"math"
	"math/rand"
	"strconv"
	"testing"
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
