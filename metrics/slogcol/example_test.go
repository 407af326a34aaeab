package slogcol_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/slogcol"
)

// Every event becomes a JSON log line through jsonlog, with the context's
// fields.
func Example() {
	clock := func() time.Time { return time.Date(2026, 3, 17, 23, 33, 54, 0, time.UTC) }
	logctx.SetHandler(jsonlog.NewHandler(os.Stdout, &jsonlog.Options{Level: slog.LevelInfo, Clock: clock}))
	defer logctx.SetHandler(nil)

	c, err := slogcol.New()
	if err != nil {
		panic(err)
	}
	ctx := logctx.With(context.Background(), "run_id", "nightly-42")
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: 1500 * time.Millisecond})
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{Found: true}) // a DEBUG event: not written at INFO
	// Output:
	// {"timestamp":"2026-03-17T23:33:54.000Z","level":"INFO","logger":"shardyfusion.write","event":"shard 3 written: 5000 rows in 1500 ms","run_id":"nightly-42","event_name":"write.shard.completed","event_code":4,"catalog":"shardyfusion","elapsed_ms":0,"db_id":3,"row_count":5000,"duration_ms":1500}
}
