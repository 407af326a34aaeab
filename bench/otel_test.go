package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// The OpenTelemetry collector against the same SDK calls made directly, on a
// real sdkmetric.MeterProvider read by a ManualReader:
//
//	cd bench && go test -run '^$' -bench 'Otel' -benchmem -count 5

var otelAttrs = []attribute.KeyValue{attribute.String("pipeline", "orders"), attribute.String("region", "eu-west-1")}

func otelProvider(b *testing.B) *sdkmetric.MeterProvider {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp
}

// otelEmitLoop returns a function that emits ShardWriteCompleted n times
// through an otelcol.Collector.
func otelEmitLoop(b *testing.B, attrs []attribute.KeyValue) func(n int) {
	opts := []otelcol.Option{otelcol.WithMeterProvider(otelProvider(b))}
	if attrs != nil {
		opts = append(opts, otelcol.WithAttributes(attrs...))
	}
	c, err := otelcol.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ev := shardEvent.Event()
	p := shardEvent.Pack(shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: 250 * time.Millisecond, Elapsed: 2 * time.Second})
	return func(n int) {
		for range n {
			c.Emit(ctx, ev, p)
		}
	}
}

// otelRawLoop returns a function that makes, n times, the SDK calls
// Emit(ShardWriteCompleted) makes, directly on instruments created up front
// with the collector's names, units and buckets, with the attribute options
// hoisted.
func otelRawLoop(b *testing.B, attrs []attribute.KeyValue) func(n int) {
	meter := otelProvider(b).Meter("shardyfusion")
	completed, err := meter.Int64Counter("shardyfusion.shard_writes_completed", metric.WithDescription("Shard writes completed."))
	if err != nil {
		b.Fatal(err)
	}
	rows, err := meter.Int64Counter("shardyfusion.shard_rows_written", metric.WithDescription("Rows written into completed shards."))
	if err != nil {
		b.Fatal(err)
	}
	duration, err := meter.Float64Histogram("shardyfusion.shard_write_duration",
		metric.WithDescription("Time to write one shard, in seconds."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
	if err != nil {
		b.Fatal(err)
	}
	var addOpts []metric.AddOption
	var recOpts []metric.RecordOption
	if attrs != nil {
		set := attribute.NewSet(attrs...)
		addOpts = []metric.AddOption{metric.WithAttributeSet(set)}
		recOpts = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	ctx := context.Background()
	p := shardyfusion.ShardWriteCompleted{DBID: 3, Rows: 5000, Duration: 250 * time.Millisecond, Elapsed: 2 * time.Second}
	return func(n int) {
		for range n {
			completed.Add(ctx, 1, addOpts...)
			duration.Record(ctx, p.Duration.Seconds(), recOpts...)
			rows.Add(ctx, p.Rows, addOpts...)
		}
	}
}

func runLoop(b *testing.B, loop func(n int)) {
	loop(1) // create the series
	b.ReportAllocs()
	b.ResetTimer()
	loop(b.N)
}

func BenchmarkEmitOtelShardWriteCompleted(b *testing.B) { runLoop(b, otelEmitLoop(b, nil)) }
func BenchmarkRawOtelShardWriteCompleted(b *testing.B)  { runLoop(b, otelRawLoop(b, nil)) }
func BenchmarkEmitOtelShardWriteCompletedAttrs(b *testing.B) {
	runLoop(b, otelEmitLoop(b, otelAttrs))
}
func BenchmarkRawOtelShardWriteCompletedAttrs(b *testing.B) { runLoop(b, otelRawLoop(b, otelAttrs)) }

// BenchmarkOtelEmitOverRaw runs the Emit and raw loops in alternating chunks
// of 2000 operations in one benchmark, so that both see the same load on a
// noisy machine, and reports the ratio of their median chunk times
// (emit/raw) besides each side's ns/op.
func BenchmarkOtelEmitOverRaw(b *testing.B) {
	for _, tc := range []struct {
		name  string
		attrs []attribute.KeyValue
	}{{"NoAttrs", nil}, {"Attrs", otelAttrs}} {
		b.Run(tc.name, func(b *testing.B) {
			emit, raw := otelEmitLoop(b, tc.attrs), otelRawLoop(b, tc.attrs)
			emit(1)
			raw(1)
			const chunk = 2000
			var emitNs, rawNs []float64
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				t0 := time.Now()
				raw(chunk)
				t1 := time.Now()
				emit(chunk)
				t2 := time.Now()
				rawNs = append(rawNs, float64(t1.Sub(t0))/chunk)
				emitNs = append(emitNs, float64(t2.Sub(t1))/chunk)
			}
			e, r := median(emitNs), median(rawNs)
			b.ReportMetric(e, "emit-ns/op")
			b.ReportMetric(r, "raw-ns/op")
			b.ReportMetric(e/r, "emit/raw")
		})
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
