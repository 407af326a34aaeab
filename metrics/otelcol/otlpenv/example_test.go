package otlpenv_test

import (
	"context"
	"log"

	"go.opentelemetry.io/otel/attribute"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/otelcol/otlpenv"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// A program exporting its metrics over OTLP, configured by the deployment:
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 \
//	OTEL_METRIC_EXPORT_INTERVAL=15000 OTEL_SERVICE_NAME=shardkv ./writer
func ExampleNewCollector() {
	ctx := context.Background()
	c, err := otlpenv.NewCollector(ctx, otelcol.WithAttributes(attribute.String("pipeline", "orders")))
	if err != nil {
		log.Fatal(err) // names the malformed variable, such as OTEL_EXPORTER_OTLP_PROTOCOL
	}
	defer c.Close() // exports what is left, then shuts the provider down

	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
}

// Sharing one provider between this collector and other instrumentation.
func ExampleNewMeterProvider() {
	ctx := context.Background()
	mp, shutdown, err := otlpenv.NewMeterProvider(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer shutdown(ctx) // force-flushes, then shuts down

	c, err := otelcol.New(otelcol.WithMeterProvider(mp)) // not owned: Close leaves mp alone
	if err != nil {
		log.Fatal(err)
	}
	metrics.Emit(ctx, c, shardyfusion.ReaderInitialized{})
}
