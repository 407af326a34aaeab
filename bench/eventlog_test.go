package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// flushEvery paces the sustained benchmark: a Flush every flushEvery events
// keeps the queue (8192 by default) from ever filling, so every event is
// written and the figure is the end-to-end rate into the file.
const flushEvery = 1024

// BenchmarkEmitEventLog measures the event log collector writing
// write.shard.completed lines to a real file in a temporary directory, from
// one goroutine, beside the ways a caller could write the same lines itself.
//
//   - sustained: Emit with a Flush every 1024 events; every event reaches the
//     file (dropped/op is 0), and events/s is the end-to-end rate.
//   - burst: Emit as fast as the caller can; ns/op is the caller's cost, and
//     events the writer goroutine could not keep up with are dropped and
//     counted (dropped/op), as the collector is designed to do.
//   - burst_parallel: burst from GOMAXPROCS goroutines, each its own run.
//   - raw_sync: the same line hand-encoded with strconv into a bufio.Writer,
//     on the caller's goroutine: the floor for writing inline.
//   - zerolog_sync, slog_json_sync, encoding_json_sync: peers writing an
//     equivalent JSON line synchronously to a buffered file.
func BenchmarkEmitEventLog(b *testing.B) {
	b.Run("sustained", func(b *testing.B) { benchEventLog(b, true) })
	b.Run("burst", func(b *testing.B) { benchEventLog(b, false) })
	b.Run("burst_parallel", benchEventLogParallel)
	b.Run("raw_sync", benchRawSync)
	b.Run("zerolog_sync", benchZerologSync)
	b.Run("slog_json_sync", benchSlogSync)
	b.Run("encoding_json_sync", benchEncodingJSONSync)
}

func benchEventLog(b *testing.B, paced bool) {
	c, err := eventlog.New(eventlog.WithDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := runctx.With(context.Background(), "bench-run")
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{}) // open the file
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	base := c.Stats()
	v := shardValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		v.DBID = i
		shardEvent.Emit(ctx, c, v)
		if paced && i%flushEvery == flushEvery-1 {
			_ = c.Flush(ctx)
		}
	}
	_ = c.Flush(ctx)
	b.StopTimer()
	elapsed := b.Elapsed()
	st := c.Stats()
	written := st.Written - base.Written
	if written+st.Dropped != uint64(b.N) || st.Lost != 0 {
		b.Fatalf("stats %+v: %d written + %d dropped != %d emitted", st, written, st.Dropped, b.N)
	}
	if paced && st.Dropped != 0 {
		b.Fatalf("sustained run dropped %d events", st.Dropped)
	}
	b.ReportMetric(float64(written)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
	// Close reports the drops a burst is expected to make.
	if err := c.Close(); err != nil && st.Dropped == 0 {
		b.Fatal(err)
	}
}

func benchEventLogParallel(b *testing.B) {
	c, err := eventlog.New(eventlog.WithDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := runctx.With(context.Background(), "bench-run-"+strconv.FormatInt(n.Add(1), 10))
		v := shardValue
		for pb.Next() {
			v.DBID++
			shardEvent.Emit(ctx, c, v)
		}
	})
	_ = c.Flush(context.Background())
	b.StopTimer()
	st := c.Stats()
	b.ReportMetric(float64(st.Written)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

func benchFile(b *testing.B) (*os.File, *bufio.Writer) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "events.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f, bufio.NewWriterSize(f, 64<<10)
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func benchRawSync(b *testing.B) {
	_, w := benchFile(b)
	p := shardValue
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.DBID = i
		buf = append(buf[:0], `{"event":"write.shard.completed","ts":"`...)
		buf = time.Now().UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z")
		buf = append(buf, `","run_id":"bench-run","elapsed_ms":`...)
		buf = strconv.AppendFloat(buf, float64(p.Elapsed)/1e6, 'f', -1, 64)
		buf = append(buf, `,"db_id":`...)
		buf = strconv.AppendInt(buf, int64(p.DBID), 10)
		buf = append(buf, `,"row_count":`...)
		buf = strconv.AppendInt(buf, p.Rows, 10)
		buf = append(buf, `,"duration_ms":`...)
		buf = strconv.AppendFloat(buf, float64(p.Duration)/1e6, 'f', -1, 64)
		buf = append(buf, "}\n"...)
		w.Write(buf)
	}
	w.Flush()
	b.StopTimer()
	reportRate(b)
}

func benchZerologSync(b *testing.B) {
	_, w := benchFile(b)
	zerolog.TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"
	zl := zerolog.New(w)
	p := shardValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.DBID = i
		zl.Log().Str("event", "write.shard.completed").Time("ts", time.Now().UTC()).Str("run_id", "bench-run").
			Float64("elapsed_ms", float64(p.Elapsed)/1e6).Int("db_id", p.DBID).Int64("row_count", p.Rows).
			Float64("duration_ms", float64(p.Duration)/1e6).Send()
	}
	w.Flush()
	b.StopTimer()
	reportRate(b)
}

func benchSlogSync(b *testing.B) {
	_, w := benchFile(b)
	l := slog.New(slog.NewJSONHandler(w, nil))
	ctx := context.Background()
	p := shardValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.DBID = i
		l.LogAttrs(ctx, slog.LevelInfo, "write.shard.completed", slog.String("run_id", "bench-run"),
			slog.Float64("elapsed_ms", float64(p.Elapsed)/1e6), slog.Int("db_id", p.DBID),
			slog.Int64("row_count", p.Rows), slog.Float64("duration_ms", float64(p.Duration)/1e6))
	}
	w.Flush()
	b.StopTimer()
	reportRate(b)
}

func benchEncodingJSONSync(b *testing.B) {
	_, w := benchFile(b)
	enc := json.NewEncoder(w)
	type line struct {
		Event      string  `json:"event"`
		TS         string  `json:"ts"`
		RunID      string  `json:"run_id"`
		ElapsedMS  float64 `json:"elapsed_ms"`
		DBID       int     `json:"db_id"`
		RowCount   int64   `json:"row_count"`
		DurationMS float64 `json:"duration_ms"`
	}
	p := shardValue
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.DBID = i
		enc.Encode(line{"write.shard.completed", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "bench-run",
			float64(p.Elapsed) / 1e6, p.DBID, p.Rows, float64(p.Duration) / 1e6})
	}
	w.Flush()
	b.StopTimer()
	reportRate(b)
}
