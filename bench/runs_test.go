package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/bigrun"
	"github.com/milestone-go/milestone/runs"
)

// BenchmarkListRuns measures listing an event-log directory of 20 finished
// writes of 10,000 events each, the explorer's runs page:
//
//   - read: runs.ListRuns, a full Read of every run (what `milestone runs`
//     prints needs it).
//   - glance_fresh: runs.ListGlances from a new source each time, a Glance
//     of every run.
//   - glance_cached: runs.ListGlances from one source, which reads a file
//     again only when its size or time changed: one stat a run.
func BenchmarkListRuns(b *testing.B) {
	dir := b.TempDir()
	const nRuns, shards, per = 20, 20, 500
	for r := range nRuns {
		bigrun.Write(b, dir, fmt.Sprintf("run-%02d", r), shards, per)
	}
	check := func(b *testing.B, list []runs.RunInfo, err error) {
		if err != nil || len(list) != nRuns || list[0].Events != shards*per+3 {
			b.Fatalf("listed %d runs (%v), first has %d events", len(list), err, list[0].Events)
		}
	}
	ctx := context.Background()
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			list, err := runs.ListRuns(dir)
			check(b, list, err)
		}
	})
	b.Run("glance_fresh", func(b *testing.B) {
		for b.Loop() {
			list, err := runs.ListGlances(ctx, runs.Dir(dir))
			check(b, list, err)
		}
	})
	b.Run("glance_cached", func(b *testing.B) {
		src := runs.Dir(dir)
		if _, err := runs.ListGlances(ctx, src); err != nil { // the first glance of each run
			b.Fatal(err)
		}
		for b.Loop() {
			list, err := runs.ListGlances(ctx, src)
			check(b, list, err)
		}
	})
}
