package bigrun

import (
	"context"
	"testing"
	"time"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// Write writes the run id (see Emit) into the event-log directory dir. It
// fails t when an event is lost.
func Write(t testing.TB, dir, id string, shards, batches int) {
	t.Helper()
	ev, err := eventlog.New(eventlog.WithDir(dir), eventlog.WithQueueSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	Emit(t, ev, id, shards, batches)
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	if st := ev.Stats(); st.Written < uint64(shards*batches) || st.Dropped != 0 {
		t.Fatalf("bigrun %s: %+v", id, st)
	}
}

// Emit emits the run id to c: write.started, a shards phase of shards
// steps, each of batches events (batches-1 write.batch.written and a
// write.shard.completed of 1 ms), the phase's end and write.completed:
// shards×batches+3 events. It flushes c every 32,768 events and at the
// end, so that a queue of 65,536 never fills.
func Emit(t testing.TB, c metrics.Collector, id string, shards, batches int) {
	t.Helper()
	ctx := runctx.With(context.Background(), id)
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	phase, _ := runctx.StartStep(ctx)
	pending := 0
	for s := range shards {
		shard, _ := runctx.StartStep(phase)
		for i := range batches - 1 {
			metrics.Emit(shard, c, shardyfusion.BatchWritten{DBID: s, BatchSize: i})
		}
		metrics.Emit(shard, c, shardyfusion.ShardWriteCompleted{DBID: s, Rows: int64(batches), Duration: time.Millisecond})
		if pending += batches; pending >= 1<<15 {
			if err := metrics.Flush(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			pending = 0
		}
	}
	rows := int64(shards * batches)
	metrics.Emit(phase, c, shardyfusion.ShardWritesCompleted{Duration: time.Second, Rows: rows})
	metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Rows: rows})
	if err := metrics.Flush(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}
