package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
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
	ev, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithQueueSize(1<<15))
	if err != nil {
		b.Fatal(err)
	}
	const nRuns, shards, per = 20, 20, 500
	for r := range nRuns {
		ctx := runctx.With(context.Background(), fmt.Sprintf("run-%02d", r))
		metrics.Emit(ctx, ev, shardyfusion.WriteStarted{})
		for s := range shards {
			shard, _ := runctx.StartStep(ctx)
			for i := range per - 1 {
				metrics.Emit(shard, ev, shardyfusion.BatchWritten{DBID: s, BatchSize: i})
			}
			metrics.Emit(shard, ev, shardyfusion.ShardWriteCompleted{DBID: s, Rows: per, Duration: time.Millisecond})
			if err := ev.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		metrics.Emit(ctx, ev, shardyfusion.WriteCompleted{Rows: shards * per})
	}
	if err := ev.Close(); err != nil {
		b.Fatal(err)
	}
	check := func(b *testing.B, list []runs.RunInfo, err error) {
		if err != nil || len(list) != nRuns || list[0].Events != shards*per+2 {
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
