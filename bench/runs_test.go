package bench

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/milestone-go/milestone/internal/testkit/bigrun"
	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/metrics/clickhouse"
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

// BenchmarkListRunsClickHouse measures listing a real ClickHouse table of
// 20 writes of 10,000 events each:
//
//   - read: Source.List, every run's rows read a run at a time
//     (clickhouse.EachRun) and summarized in full.
//   - glance: runs.ListGlances, one aggregate query answered with a row a
//     run.
func BenchmarkListRunsClickHouse(b *testing.B) {
	s := chserver.Start(b)
	ch, err := clickhouse.New(clickhouse.WithURL(s.URL), clickhouse.WithCreateTable(), clickhouse.WithQueueSize(1<<16),
		clickhouse.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	const nRuns, shards, per = 20, 20, 500
	for r := range nRuns {
		bigrun.Emit(b, ch, fmt.Sprintf("run-%02d", r), shards, per)
	}
	if err := ch.Close(); err != nil {
		b.Fatal(err)
	}
	src := runs.ClickHouse(clickhouse.WithURL(s.URL))
	ctx := context.Background()
	check := func(b *testing.B, list []runs.RunInfo, err error) {
		if err != nil || len(list) != nRuns || list[0].Events != shards*per+3 {
			b.Fatalf("listed %d runs (%v): %+v", len(list), err, list)
		}
	}
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			list, err := src.List(ctx)
			check(b, list, err)
		}
	})
	b.Run("glance", func(b *testing.B) {
		for b.Loop() {
			list, err := runs.ListGlances(ctx, src)
			check(b, list, err)
		}
	})
}
