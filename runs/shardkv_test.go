package runs_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/runs"
)

// TestSummaryOfAShardKVRun summarizes the event log of a real shardkv
// write (with one storage fault retried) and checks its figures against
// the events the write emitted, recorded at the same time.
func TestSummaryOfAShardKVRun(t *testing.T) {
	const n, shards = 6000, 4
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	rec := metrics.NewRecorder()
	c := metrics.Multi(ev, rec)
	rows := func(yield func(k, v []byte) bool) {
		for i := range n {
			if !yield(fmt.Appendf(nil, "key-%06d", i), []byte("v")) {
				return
			}
		}
	}
	_, err = shardkv.Write(context.Background(), t.TempDir(), rows, shardkv.WriteOptions{
		NumShards: shards, BatchSize: 500, Collector: c, Logger: slog.New(slog.DiscardHandler), RunID: "kv",
		Faults:       shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00002", 1),
		StorageRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := metrics.Close(c); err != nil {
		t.Fatal(err)
	}
	s, err := runs.ReadFile(ev.Path("kv"))
	if err != nil {
		t.Fatal(err)
	}

	shardEv := metrics.EventOf[shardyfusion.ShardWriteCompleted]()
	d, _ := metrics.Describe(shardEv)
	durField, _ := d.Field("duration_ms")
	var durations []float64
	for _, p := range rec.Payloads(shardEv) {
		durations = append(durations, float64(p.Duration(durField))/1e6)
	}
	slices.Sort(durations)
	retries := rec.Count(metrics.EventOf[shardyfusion.S3Retry]())
	if !s.ShardedKV || s.WritesStarted != 1 || s.WritesCompleted != 1 || s.Rows.Written != n || s.Shards.Completed != shards {
		t.Errorf("summary: %d/%d writes, %d rows, %d shards, want 1/1, %d, %d", s.WritesCompleted, s.WritesStarted, s.Rows.Written, s.Shards.Completed, n, shards)
	}
	if retries == 0 || s.Retries.S3Retries != retries {
		t.Errorf("storage retries %d, recorded %d (want at least one, from the fault)", s.Retries.S3Retries, retries)
	}
	if len(durations) != shards || !near(s.Shards.MaxMS, durations[shards-1]) || !near(s.Shards.MinMS, durations[0]) {
		t.Errorf("shard durations min %v max %v, recorded %v", s.Shards.MinMS, s.Shards.MaxMS, durations)
	}
	if got := rec.Count(metrics.EventOf[shardyfusion.BatchWritten]()); s.Rows.Batches != got {
		t.Errorf("%d batches, recorded %d", s.Rows.Batches, got)
	}
	// By default the shards are one row, their p50 and p99 together (db_id
	// is a field, not a label); GroupBy("db_id") gives a row per shard.
	for _, row := range s.EventTable {
		if row.Event == "write.shard.completed" && (row.Count != shards || len(row.Labels) != 0 || row.Durations[0].MaxMS != s.Shards.MaxMS) {
			t.Errorf("row %+v, want the %d shards in one row", row, shards)
		}
	}
	byShard, err := runs.ReadFile(ev.Path("kv"), runs.GroupBy("db_id"))
	if err != nil {
		t.Fatal(err)
	}
	perShard := 0
	for _, row := range byShard.EventTable {
		if row.Event == "write.shard.completed" {
			perShard++
			if row.Count != 1 || row.Labels["db_id"] == "" {
				t.Errorf("row %+v, want one shard per db_id", row)
			}
		}
	}
	if perShard != shards {
		t.Errorf("grouped by db_id: %d write.shard.completed rows, want %d", perShard, shards)
	}
	if info := runs.InfoFrom("kv", s, nil); info.Status != runs.StatusCompleted {
		t.Errorf("status %s", info.Status)
	}
}

// near reports whether the milliseconds a and b agree to the microsecond
// the event log keeps.
func near(a, b float64) bool { return a-b < 1e-3 && b-a < 1e-3 }
