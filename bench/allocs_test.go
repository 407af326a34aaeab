package bench

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/milestone-go/milestone/jsonlog"
	"github.com/milestone-go/milestone/logctx"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/prom"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestHotPathsAllocateNothing guards the zero-allocation claims the
// benchmarks make, in every `go test ./...` run (allocations are counted,
// not timed, so this is not a timed unit test).
func TestHotPathsAllocateNothing(t *testing.T) {
	ctx := context.Background()

	promC, err := prom.New(prom.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	t.Cleanup(func() { _ = mp.Shutdown(ctx) })
	otelC, err := otelcol.New(otelcol.WithMeterProvider(mp), otelcol.WithAttributes(otelAttrs...))
	if err != nil {
		t.Fatal(err)
	}
	logC, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithQueueSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = logC.Close() })
	runCtx := runctx.With(ctx, "allocs")
	metrics.Emit(runCtx, logC, shardyfusion.WriteStarted{}) // the run's first event opens its file
	if err := logC.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	multi := metrics.Multi(metrics.Nop, metrics.Nop, metrics.Nop)
	logger := slog.New(jsonlog.NewHandler(io.Discard, nil))
	logCtx := logctx.With(ctx, jsonlogBound(10)...)
	sourceLogger := slog.New(jsonlog.NewHandler(io.Discard, &jsonlog.Options{AddSource: true}))
	ecsLogger := slog.New(jsonlog.NewHandler(io.Discard, &jsonlog.Options{Format: jsonlog.ECS}))

	cases := []struct {
		name string
		fn   func()
	}{
		{"prom.Emit", func() { shardEvent.Emit(ctx, promC, shardValue) }},
		{"otelcol.Emit", func() { shardEvent.Emit(ctx, otelC, shardValue) }},
		{"eventlog.Emit", func() { shardEvent.Emit(runCtx, logC, shardValue) }},
		{"Multi3Nop.Emit", func() { shardEvent.Emit(ctx, multi, shardValue) }},
		{"metrics.Emit by type", func() { metrics.Emit(ctx, multi, shardValue) }},
		{"Payload walk", func() {
			for _, f := range shardEvent.Descriptor().Fields {
				walkSink += shardPayload.Number(f)
			}
		}},
		{"jsonlog line", func() { jsonlogCall(logger, logCtx) }},
		{"jsonlog line with AddSource", func() { jsonlogCall(sourceLogger, logCtx) }},
		{"jsonlog line with an error", func() { jsonlogErrorCall(logger, logCtx) }},
		{"jsonlog ECS line", func() { jsonlogCall(ecsLogger, logCtx) }},
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(200, c.fn); n != 0 {
			t.Errorf("%s: %v allocs per call, want 0", c.name, n)
		}
	}
}
