package otelcol

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
)

func randomPayload(r *rand.Rand) metrics.Payload {
	n := func() int { return r.IntN(2001) - 1000 } // negatives too
	return metrics.Payload{
		Elapsed: time.Duration(r.Int64N(1e12)), Duration: time.Duration(r.Int64N(1e12)),
		DBID: n(), Rows: int64(n()), BatchSize: n(), Found: r.IntN(2) == 0, Keys: n(),
		Changed: r.IntN(2) == 0, Handles: n(), Attempt: n(), Attempts: n(), MaxRetries: n(),
		Backoff: time.Duration(r.Int64N(1e10)), Delay: time.Duration(r.Int64N(1e10)),
		Wait: time.Duration(r.Int64N(1e10)), Tokens: n(),
	}
}

// TestFieldReadersAgreeWithCore checks that the direct payload readers Emit
// uses give what metrics.Payload.Field gives, for every key.
func TestFieldReadersAgreeWithCore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		p := randomPayload(r)
		for k := metrics.Key(1); k < 255; k++ {
			switch k.Kind() {
			case metrics.KindInt:
				if got, want := intField(&p, k), p.Field(k).Int; got != want {
					t.Fatalf("intField(%v) = %d, Field = %d", k, got, want)
				}
			case metrics.KindBool:
				if got, want := boolField(&p, k), p.Field(k).Bool; got != want {
					t.Fatalf("boolField(%v) = %v, Field = %v", k, got, want)
				}
			}
		}
	}
}

// TestDeltaAgreesWithCore checks that the unpacked counters and histograms of
// every catalog event record exactly what metrics.Instrument.Delta and
// Observation say.
func TestDeltaAgreesWithCore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for range 300 {
		p := randomPayload(r)
		for _, ev := range metrics.Events() {
			d, _ := metrics.Describe(ev)
			for i := range d.Instruments {
				in := &d.Instruments[i]
				if in.Kind == metrics.Histogram {
					h := histogram{value: in.Value, cond: in.If, want: in.IfValue}
					gotS, gotOK := h.observation(&p)
					wantS, wantOK := in.Observation(&p)
					if gotOK != wantOK || gotS != wantS {
						t.Fatalf("%s: observation = %v, %v; metrics.Instrument.Observation = %v, %v", in.Name, gotS, gotOK, wantS, wantOK)
					}
					checked++
					continue
				}
				k := counter{value: in.Value, cond: in.If, want: in.IfValue}
				gotD, gotOK := k.delta(&p)
				wantD, wantOK := in.Delta(&p)
				if gotOK != wantOK || (wantOK && gotD != wantD) || (!wantOK && (gotD < 0) != (wantD < 0)) {
					t.Fatalf("%s: delta = %d, %v; metrics.Instrument.Delta = %d, %v", in.Name, gotD, gotOK, wantD, wantOK)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no counters checked")
	}
}
