package runs_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"
	"github.com/milestone-go/milestone/runs"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/progress"
)

// TestWriteProgressIsAccurate replays real writes of uneven sizes and
// shards, with retried shards among them: the work estimate (rows, stages
// weighed by the other writes) stays within 0.05 of t/T (time-weighted
// RMS), its ETA within 15% after a fifth is done (median), and it never
// goes back; the task-count estimate on the same runs is printed beside it.
func TestWriteProgressIsAccurate(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a dozen snapshots")
	}
	testutil.Exclusive(t) // timed: no fleet on the cores meanwhile
	quiet := slog.New(slog.DiscardHandler)
	exampletest.ProgressAccuracy(t, "write", func(events string) {
		type write struct {
			rows, shards int
			faults       *shardkv.Faults
		}
		writes := []write{
			{60000, 4, nil}, {120000, 8, nil}, {90000, 6, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00002", 1)},
			{150000, 3, nil}, {80000, 8, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00005", 2)}, {100000, 5, nil},
		} // the faults are spent as they fire: new ones each time
		ev, err := eventlog.New(eventlog.WithDir(events))
		if err != nil {
			t.Fatal(err)
		}
		data := t.TempDir()
		// Writes of a few hundred milliseconds, as a storage's throughput
		// makes them (the limiter), so that the log's millisecond
		// timestamps measure them well.
		lim, err := shardkv.NewLimiter(400000, 2000, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range writes {
			if _, err := shardkv.Write(context.Background(), data, shardkv.SampleRows(w.rows), shardkv.WriteOptions{
				NumShards: w.shards, Concurrency: 2, Collector: ev, Logger: quiet, RunID: fmt.Sprintf("write-%d", i), RateLimit: lim,
				ExpectedRows: int64(w.rows), Faults: w.faults,
				ShardRetry:   shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: 30 * time.Millisecond},
				StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ev.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLearnModelLearnsFromTheNewestCompletedRuns: the model of a directory
// is what its completed runs teach, a failed run left out, and with max 1
// what the newest completed run teaches.
func TestLearnModelLearnsFromTheNewestCompletedRuns(t *testing.T) {
	dir := t.TempDir()
	ev, err := eventlog.New(eventlog.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	for i, w := range []struct {
		rows, shards int
		faults       *shardkv.Faults
	}{{20000, 2, nil}, {40000, 4, nil}, {30000, 3, shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00000", 9)}, {50000, 5, nil}} {
		_, _ = shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(w.rows), shardkv.WriteOptions{
			NumShards: w.shards, Collector: ev, Logger: quiet, RunID: fmt.Sprintf("learn-%d", i), Faults: w.faults,
			StorageRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
		})
		time.Sleep(2 * time.Millisecond) // distinct start times: "newest" is well defined
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	src := runs.Dir(dir)
	ctx := context.Background()
	modelOf := func(id string) progress.Model {
		rc, err := src.Open(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		r, err := runs.ReplayProgress(rc, progress.Model{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Model
	}
	all, err := runs.LearnModel(ctx, src, 20)
	if err != nil {
		t.Fatal(err)
	}
	if want := progress.Learn(modelOf("learn-0"), modelOf("learn-1"), modelOf("learn-3")); len(all.Shares) == 0 || !sameModel(all, want) {
		t.Errorf("from every completed run:\n got %+v\nwant %+v", all, want)
	}
	newest, err := runs.LearnModel(ctx, src, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := progress.Learn(modelOf("learn-3")); !sameModel(newest, want) || sameModel(newest, all) {
		t.Errorf("from the newest:\n got %+v\nwant %+v", newest, want)
	}
}

// sameModel reports whether two models are equal to a rounding error.
func sameModel(a, b progress.Model) bool {
	same := func(x, y map[string]float64) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || math.Abs(v-w) > 1e-9*math.Max(math.Abs(v), math.Abs(w)) {
				return false
			}
		}
		return true
	}
	return same(a.Shares, b.Shares) && same(a.PerUnit, b.PerUnit)
}
