package prom_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// Every instrument of the built-in catalog has a fast op.
func TestEveryInstrumentFast(t *testing.T) {
	c, _ := newCollector(t)
	if generic := prom.GenericInstruments(c); len(generic) != 0 {
		t.Errorf("instruments on the generic path: %v", generic)
	}
	g, _ := newCollector(t, prom.WithGenericPath())
	if n := len(prom.GenericInstruments(g)); n < len(shardyfusion.Catalog.Events()) {
		t.Errorf("WithGenericPath left %d instruments generic, want all", n)
	}
}

// The fast ops record exactly what the catalog's Instrument.Delta and
// Instrument.Observation say, for every event and many payloads.
func TestFastPathMatchesCatalog(t *testing.T) {
	fast, fastReg := newCollector(t)
	generic, genericReg := newCollector(t, prom.WithGenericPath())
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for _, d := range shardyfusion.Catalog.Descriptors() {
		payloads := []metrics.Payload{{}, collectortest.FullPayload(d)}
		for range 200 {
			payloads = append(payloads, randomPayload(rng, d))
		}
		for _, p := range payloads {
			fast.Emit(ctx, d.Event, p)
			generic.Emit(ctx, d.Event, p)
		}
	}
	got, want := samples(t, fastReg), samples(t, genericReg)
	if len(got) != len(want) {
		t.Fatalf("%d samples on the fast path, %d on the generic path", len(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s = %v on the fast path, %v on the generic path", k, g, w)
		}
	}
	if fast.Invalid() == 0 || fast.Invalid() != generic.Invalid() {
		t.Errorf("Invalid: fast %d, generic %d; want equal and not 0 (the payloads must test the invalid path)", fast.Invalid(), generic.Invalid())
	}
}

// randomPayload fills every field of d with a random value: numbers from
// -100 (some negative, to reach the invalid path) to 1900, durations from
// -1 s to 20 s, strings from a small set.
func randomPayload(rng *rand.Rand, d *metrics.Descriptor) metrics.Payload {
	var p metrics.Payload
	for _, f := range d.Fields {
		switch f.Kind {
		case metrics.KindInt:
			p.SetInt(f, int64(rng.IntN(2000)-100))
		case metrics.KindFloat:
			p.SetFloat(f, rng.Float64())
		case metrics.KindBool:
			p.SetBool(f, rng.IntN(2) == 0)
		case metrics.KindDuration:
			p.SetDuration(f, time.Duration(rng.Int64N(int64(21*time.Second)))-time.Second)
		case metrics.KindString:
			p.SetStr(f, []string{"a", "b", "c"}[rng.IntN(3)])
		}
	}
	return p
}
