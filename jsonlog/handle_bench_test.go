package jsonlog

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/milestone-go/milestone/logctx"
)

func benchRecord() slog.Record {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "shard_write_completed", 0)
	r.AddAttrs(slog.String("run_id", "4f1c2a"), slog.Int("db_id", 7), slog.Float64("duration_ms", 12.5),
		slog.Bool("found", true), slog.String("bucket", "s3://data/shards"))
	return r
}

func bound(n int) []any {
	var args []any
	for i := 0; i < n; i++ {
		args = append(args, "field_"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
	}
	return args
}

func BenchmarkHandleOnly(b *testing.B) {
	h := NewHandler(io.Discard, nil)
	ctx := logctx.With(context.Background(), bound(10)...)
	r := benchRecord()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = h.Handle(ctx, r)
	}
}

func BenchmarkHandleOnlySlogJSON(b *testing.B) {
	var as []slog.Attr
	args := bound(10)
	for i := 0; i < len(args); i += 2 {
		as = append(as, slog.Any(args[i].(string), args[i+1]))
	}
	h := slog.NewJSONHandler(io.Discard, nil).WithAttrs(as)
	r := benchRecord()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = h.Handle(ctx, r)
	}
}
