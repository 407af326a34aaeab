package jsonlog

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestKeyFactsAgreeWithTheChecksTheyReplace: for every ECS root, every key
// the ECS format writes itself and keys of every shape, the cached facts
// say what fusedKeyHash, ecsTopLeafTaken and hashKey say, and a second
// lookup (a cache hit) says the same as the first.
func TestKeyFactsAgreeWithTheChecksTheyReplace(t *testing.T) {
	keys := []string{"run_id", "db_id", "duration_ms", "bucket", "found", "x", "status",
		"error", "error.message", "host.name", "a.b", ".a", "a.", " lead", "tab\there",
		"quote\"d", "é", "", "labels", "labels.x", "tags", "@timestamp", "log", "message",
		"ecs", "service", truncatedKey, "process", "process.pid", "a_very_long_key_that_spans_words"}
	keys = append(keys, ecsRootNames[:]...)
	for _, r := range ecsRootNames {
		keys = append(keys, r+"x", strings.ToUpper(r), r[:len(r)-1])
	}
	values := []slog.Value{slog.StringValue("v"), slog.IntValue(42), slog.Float64Value(1.5),
		slog.BoolValue(true), slog.DurationValue(time.Second), slog.TimeValue(time.Unix(0, 0)),
		slog.AnyValue(errors.New("e")), slog.GroupValue(slog.Int("a", 1))}
	for _, k := range keys {
		// A copy at another address: the first lookup of it misses.
		k := strings.Clone(k)
		want, wantPlain := fusedKeyHash(k)
		for round := range 2 {
			f := factsOf(k, uint64(round))
			if f.plain() != wantPlain || (wantPlain && f.hash != want) {
				t.Fatalf("round %d: facts of %q: plain %v hash %x; fusedKeyHash says %v %x", round, k, f.plain(), f.hash, wantPlain, want)
			}
			if !f.plain() {
				continue
			}
			if got, want := segmentHashOf(keySeed, f.hash), hashKey(k); got != want {
				t.Errorf("segmentHashOf(keySeed, facts of %q) = %x; hashKey = %x", k, got, want)
			}
			for _, v := range values {
				if got, want := f.ecsTaken(k, v), ecsTopLeafTaken(k, v); got != want {
					t.Errorf("facts of %q: ecsTaken(%v) = %v; ecsTopLeafTaken = %v", k, v, got, want)
				}
			}
		}
	}
}

// TestKeyFactsHitIsByIdentity: a key's facts come from the cache only for
// the same string; equal bytes elsewhere are computed again, and a hit
// never returns the facts of another key.
func TestKeyFactsHitIsByIdentity(t *testing.T) {
	a := strings.Clone("host")
	fa := factsOf(a, 0)
	// The slot may hold another test's key, which a new one replaces
	// only for some draws.
	for i := 0; ; i++ {
		if _, _, _, ok := keyCache.Lookup(a); ok {
			break
		}
		if i == 100000 {
			t.Fatal("factsOf never cached its key")
		}
		if f := factsOf(a, uint64(i)); f != fa {
			t.Fatalf("facts of %q changed: %+v, then %+v", a, fa, f)
		}
	}
	b := strings.Clone("run_id")
	if fb := factsOf(b, 0); fb == fa {
		t.Fatalf("facts of %q equal those of %q", b, a)
	}
	if fa.flags&keyECSField == 0 {
		t.Fatalf("facts of %q miss keyECSField: %+v", a, fa)
	}
}
