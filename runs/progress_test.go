package runs_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/testutil"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/examplekit/exampletest"
	"github.com/milestone-go/milestone/metrics/eventlog"
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
