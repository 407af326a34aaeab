package bench

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/tracing"
)

// discardExporter takes spans and drops them: the benchmarks measure
// making spans, not exporting them.
type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkTracingStep: one step of a run through the tracing collector,
// from run.Step to the span handed to the SDK (ended on its event, with
// the event's fields as attributes), compare with BenchmarkTracingStepSDK.
func BenchmarkTracingStep(b *testing.B) {
	c, err := tracing.New(tracing.WithExporter(discardExporter{}), tracing.WithSyncExport())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, run := metrics.StartRun(runctx.With(context.Background(), "bench-tracing"), c)
	b.ReportAllocs()
	for b.Loop() {
		sctx, step := run.Step(ctx)
		metrics.End(sctx, step, shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000})
	}
}

// BenchmarkTracingStepSDK: the same span made with the OTel SDK by hand:
// a child span of the run's, started and ended, with the same attributes,
// on a TracerProvider with the same sampler and a synchronous discarding
// exporter.
func BenchmarkTracingStepSDK(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithSyncer(discardExporter{}))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("bench")
	ctx, root := tracer.Start(context.Background(), "write")
	defer root.End()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		_, sp := tracer.Start(ctx, "write.shard.completed", trace.WithTimestamp(start))
		sp.SetAttributes(shardAttrs(3, 5000, time.Since(start))...)
		sp.End()
	}
}

func shardAttrs(db, rows int64, d time.Duration) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.Float64("elapsed_ms", float64(d)/1e6), attribute.Int64("db_id", db), attribute.Int64("row_count", rows),
		attribute.Float64("duration_ms", float64(d)/1e6), attribute.String("milestone.event", "write.shard.completed"),
		attribute.String("milestone.run_id", "bench-tracing"),
	}
}
