package bench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// The workload of the JSON logging benchmarks: 5 attributes at the call site
// (string, int, float64, string, bool) and 10 bound fields (With/context).

const jsonlogMsg = "shard_write_completed"

func jsonlogBound(n int) []any {
	args := make([]any, 0, 2*n)
	for i := 0; i < n; i++ {
		args = append(args, "field_"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
	}
	return args
}

func jsonlogCall(l *slog.Logger, ctx context.Context) {
	jsonlogLine(l, ctx, slog.LevelInfo, slog.Bool("found", true))
}

// jsonlogLine logs the workload's five call-site attributes, the last one
// given.
func jsonlogLine(l *slog.Logger, ctx context.Context, level slog.Level, last slog.Attr) {
	l.LogAttrs(ctx, level, jsonlogMsg,
		slog.String("run_id", "4f1c2a"),
		slog.Int("db_id", 7),
		slog.Float64("duration_ms", 12.5),
		slog.String("bucket", "s3://data/shards"),
		last)
}

var errShardWrite = errors.New("shard 7: upload: connection reset by peer")

// jsonlogErrorCall is jsonlogCall for a failure: an error in place of the
// bool, last, where Go code usually puts it (jsonlog's one-pass path takes
// an error only as the last attribute).
func jsonlogErrorCall(l *slog.Logger, ctx context.Context) {
	jsonlogLine(l, ctx, slog.LevelError, slog.Any("error", errShardWrite))
}

// BenchmarkJSONLogSlogError: the slog baseline logging a line with an error.
func BenchmarkJSONLogSlogError(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil)).With(jsonlogBound(10)...)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		jsonlogErrorCall(l, ctx)
	}
}

// BenchmarkJSONLogMilestoneError: BenchmarkJSONLogMilestone logging a line
// with an error.
func BenchmarkJSONLogMilestoneError(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, nil))
	ctx := logctx.With(context.Background(), jsonlogBound(10)...)
	b.ReportAllocs()
	for b.Loop() {
		jsonlogErrorCall(l, ctx)
	}
}

// BenchmarkJSONLogSlogBaseline: slog.JSONHandler, 10 attrs via Logger.With.
func BenchmarkJSONLogSlogBaseline(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil)).With(jsonlogBound(10)...)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		jsonlogCall(l, ctx)
	}
}

func benchMilestone(b *testing.B, bound int) {
	l := slog.New(jsonlog.NewHandler(io.Discard, nil))
	ctx := logctx.With(context.Background(), jsonlogBound(bound)...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogMilestone: slog.Logger over jsonlog, 10 fields bound with
// logctx.With.
func BenchmarkJSONLogMilestone(b *testing.B) { benchMilestone(b, 10) }

// BenchmarkJSONLogSlogAddSource: the slog baseline with the caller's
// source position on every line.
func BenchmarkJSONLogSlogAddSource(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{AddSource: true})).With(jsonlogBound(10)...)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogMilestoneAddSource: BenchmarkJSONLogMilestone with the
// caller's source position on every line (resolved once per call site).
func BenchmarkJSONLogMilestoneAddSource(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, &jsonlog.Options{AddSource: true}))
	ctx := logctx.With(context.Background(), jsonlogBound(10)...)
	b.ReportAllocs()
	for b.Loop() {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogMilestoneECS: BenchmarkJSONLogMilestone in the ECS
// layout (dotted keys, @timestamp, log.level, ecs.version).
func BenchmarkJSONLogMilestoneECS(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, &jsonlog.Options{Format: jsonlog.ECS}))
	ctx := logctx.With(context.Background(), jsonlogBound(10)...)
	b.ReportAllocs()
	for b.Loop() {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogMilestoneCtx50: the same with 50 context fields.
func BenchmarkJSONLogMilestoneCtx50(b *testing.B) { benchMilestone(b, 50) }

// BenchmarkJSONLogMilestoneNamed: through a logctx.Logger of the hierarchy
// (the swappable root handler and the level table).
func BenchmarkJSONLogMilestoneNamed(b *testing.B) {
	logctx.SetHandler(jsonlog.NewHandler(io.Discard, nil))
	defer logctx.SetHandler(nil)
	l := logctx.Logger("bench")
	ctx := logctx.With(context.Background(), jsonlogBound(10)...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogZerolog: zerolog with the 10 fields in its context.
func BenchmarkJSONLogZerolog(b *testing.B) {
	zc := zerolog.New(io.Discard).With().Timestamp()
	bound := jsonlogBound(10)
	for i := 0; i < len(bound); i += 2 {
		zc = zc.Str(bound[i].(string), bound[i+1].(string))
	}
	l := zc.Logger()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Info().
			Str("run_id", "4f1c2a").
			Int("db_id", 7).
			Float64("duration_ms", 12.5).
			Str("bucket", "s3://data/shards").
			Bool("found", true).
			Msg(jsonlogMsg)
	}
}

// BenchmarkJSONLogZap: zap's production JSON encoder with the 10 fields via
// Logger.With.
func BenchmarkJSONLogZap(b *testing.B) {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	bound := jsonlogBound(10)
	fields := make([]zap.Field, 0, 10)
	for i := 0; i < len(bound); i += 2 {
		fields = append(fields, zap.String(bound[i].(string), bound[i+1].(string)))
	}
	l := zap.New(core).With(fields...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Info(jsonlogMsg,
			zap.String("run_id", "4f1c2a"),
			zap.Int("db_id", 7),
			zap.Float64("duration_ms", 12.5),
			zap.String("bucket", "s3://data/shards"),
			zap.Bool("found", true))
	}
}

// runtimeKeys returns the workload's five call keys copied to fresh memory
// n times over: keys built at run time, at addresses jsonlog's cache of
// key facts has not seen, so that every line misses it.
func runtimeKeys(n int) [][5]string {
	out := make([][5]string, n)
	for i := range out {
		for j, k := range [5]string{"run_id", "db_id", "duration_ms", "bucket", "found"} {
			out[i][j] = strings.Clone(k)
		}
	}
	return out
}

func jsonlogRuntimeKeysLine(l *slog.Logger, ctx context.Context, k *[5]string) {
	l.LogAttrs(ctx, slog.LevelInfo, jsonlogMsg,
		slog.String(k[0], "4f1c2a"),
		slog.Int(k[1], 7),
		slog.Float64(k[2], 12.5),
		slog.String(k[3], "s3://data/shards"),
		slog.Bool(k[4], true))
}

// BenchmarkJSONLogSlogRuntimeKeys: the slog baseline with keys built at
// run time (4,096 copies of the five keys, in turn).
func BenchmarkJSONLogSlogRuntimeKeys(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil)).With(jsonlogBound(10)...)
	benchRuntimeKeys(b, l, context.Background())
}

// BenchmarkJSONLogMilestoneRuntimeKeys: BenchmarkJSONLogMilestone with keys
// built at run time, which miss the cache of key facts on every line: the
// price of a miss, against the cached keys of BenchmarkJSONLogMilestone.
func BenchmarkJSONLogMilestoneRuntimeKeys(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, nil))
	benchRuntimeKeys(b, l, logctx.With(context.Background(), jsonlogBound(10)...))
}

func benchRuntimeKeys(b *testing.B, l *slog.Logger, ctx context.Context) {
	keys := runtimeKeys(4096)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		jsonlogRuntimeKeysLine(l, ctx, &keys[i])
		if i++; i == len(keys) {
			i = 0
		}
	}
}

// tracedCtx returns ctx holding a milestone step span under a request's
// span (the workload's call attributes already name the run, so the run id
// is not bound again).
func tracedCtx(ctx context.Context) context.Context {
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled}))
	ctx, _ = runctx.StartStep(ctx)
	return ctx
}

// BenchmarkJSONLogTraceIDs: BenchmarkJSONLogMilestone logged in a step's
// context, so the line also carries trace_id and span_id (compare with
// BenchmarkJSONLogMilestone, the same line without them).
func BenchmarkJSONLogTraceIDs(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, nil))
	ctx := tracedCtx(logctx.With(context.Background(), jsonlogBound(10)...))
	b.ReportAllocs()
	for b.Loop() {
		jsonlogCall(l, ctx)
	}
}

// BenchmarkJSONLogTraceIDsECS: BenchmarkJSONLogMilestoneECS with trace.id
// and span.id.
func BenchmarkJSONLogTraceIDsECS(b *testing.B) {
	l := slog.New(jsonlog.NewHandler(io.Discard, &jsonlog.Options{Format: jsonlog.ECS}))
	ctx := tracedCtx(logctx.With(context.Background(), jsonlogBound(10)...))
	b.ReportAllocs()
	for b.Loop() {
		jsonlogCall(l, ctx)
	}
}
