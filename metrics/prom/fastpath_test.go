package prom_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/prom"
)

// Every instrument of the built-in catalog has a fast op.
func TestEveryInstrumentFast(t *testing.T) {
	c, _ := newCollector(t)
	if generic := prom.GenericInstruments(c); len(generic) != 0 {
		t.Errorf("instruments on the generic path: %v", generic)
	}
	g, _ := newCollector(t, prom.WithGenericPath())
	if n := len(prom.GenericInstruments(g)); n < len(metrics.Events()) {
		t.Errorf("WithGenericPath left %d instruments generic, want all", n)
	}
}

// The fast ops record exactly what the catalog's Instrument.Delta and
// Instrument.Observation say, for every event and many payloads.
func TestFastPathMatchesCatalog(t *testing.T) {
	fast, fastReg := newCollector(t)
	generic, genericReg := newCollector(t, prom.WithGenericPath())
	rng := rand.New(rand.NewPCG(1, 2))
	num := func() int { return rng.IntN(2000) - 100 } // some negative
	dur := func() time.Duration { return time.Duration(rng.Int64N(int64(20 * time.Second))) }
	payloads := []metrics.Payload{{}, collectortest.FullPayload()}
	for range 200 {
		payloads = append(payloads, metrics.Payload{
			Elapsed: dur(), Duration: dur(), DBID: num(), Rows: int64(num()), BatchSize: num(),
			Keys: num(), Handles: num(), Attempt: num(), Attempts: num(), MaxRetries: num(),
			Backoff: dur(), Delay: dur(), Wait: dur(), Tokens: num(),
			Found: rng.IntN(2) == 0, Changed: rng.IntN(2) == 0,
		})
	}
	ctx := context.Background()
	for _, ev := range metrics.Events() {
		for _, p := range payloads {
			fast.Emit(ctx, ev, p)
			generic.Emit(ctx, ev, p)
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
	if got["shardyfusion_"+prom.InvalidValuesName] == 0 {
		t.Error("no negative count was seen: the payloads do not test the invalid path")
	}
}
