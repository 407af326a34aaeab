package otelcol_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

func Example() {
	// A real SDK provider, read on demand by a ManualReader.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	c, err := otelcol.New(
		otelcol.WithMeterProvider(mp),
		otelcol.WithAttributes(attribute.String("pipeline", "orders")),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 0, Rows: 5000, Duration: 1500 * time.Millisecond})
	metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 3000, Duration: 500 * time.Millisecond})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			fmt.Printf("%s = %d\n", m.Name, d.DataPoints[0].Value)
		case metricdata.Histogram[float64]:
			dp := d.DataPoints[0]
			fmt.Printf("%s [%s]: count %d, sum %g\n", m.Name, m.Unit, dp.Count, dp.Sum)
		}
	}
	// Unordered output:
	// shardyfusion.shard_writes_completed = 2
	// shardyfusion.shard_write_duration [s]: count 2, sum 2
	// shardyfusion.shard_rows_written = 8000
}

func ExampleInstrumentName() {
	fmt.Println(otelcol.InstrumentName(shardyfusion.Catalog.Namespace(), "shard_writes_completed_total"))
	fmt.Println(otelcol.InstrumentName(shardyfusion.Catalog.Namespace(), "shard_write_duration_seconds"))
	// Output:
	// shardyfusion.shard_writes_completed
	// shardyfusion.shard_write_duration
}
