// Package otelcol is a metrics.Collector on the OpenTelemetry metric API
// (go.opentelemetry.io/otel/metric).
//
// New derives the instruments from a catalog of events (shardyfusion.Catalog
// unless WithCatalog names another): one per distinct instrument name,
// created once on a Meter named after the catalog's namespace
// (WithMeterName sets another). Counters become Int64ObservableCounters and
// histograms Float64Histograms with unit "s" and explicit second-scale bucket
// boundaries
// (the SDK's default boundaries are millisecond-scale and would put every
// duration in the first buckets). Instrument names are the catalog's
// Prometheus-style names under a dotted namespace, without their unit
// suffix ("_total", "_seconds"), as OpenTelemetry's conventions keep units
// out of names:
//
//	catalog name                    OpenTelemetry instrument              unit
//	shard_writes_completed_total    shardyfusion.shard_writes_completed   ""
//	shard_write_duration_seconds    shardyfusion.shard_write_duration     "s"
//
// Labels become attributes, one cached attribute set per label combination.
//
// The collector counts for its counters itself, in one atomic cell per
// label combination seen, and a callback registered on the meter observes
// every cell at collection: Emit adds to a cell, with no call into the
// MeterProvider, and only histograms are measured synchronously. What is
// exported is what synchronous counters would export (monotonic cumulative
// sums, the same attribute sets and values), except that counter points
// carry no exemplars, and that a delta-temporality reader also gets a 0
// for a label combination unchanged in an interval. See
// docs/design/otel-counters.md.
//
// The namespace is its own option (WithNamespace, default the catalog's),
// separate from the meter name: the meter name is the instrumentation scope
// (often a Go import path), while the namespace decides the metric names that
// dashboards query. Through the OpenTelemetry Prometheus exporter
// (go.opentelemetry.io/otel/exporters/prometheus, default translation) these
// instruments are exported under exactly the family names metrics/prom
// registers with its default prefix: the exporter adds "_total" to counters
// and "_seconds" for unit "s", giving shardyfusion_shard_writes_completed_total,
// shardyfusion_shard_write_duration_seconds, and so on. (The exporter also
// adds otel_scope_* labels and a target_info family.)
//
// Emit resolves nothing at run time: the instruments of each event and the
// measurement options carrying the constant attributes (WithAttributes) are
// built once by New, so Emit allocates nothing, with or without attributes.
//
// The collector never flushes or shuts down a MeterProvider it was given
// (WithMeterProvider, or the global provider by default). It flushes and
// shuts down only a provider handed over to it with WithOwnedMeterProvider,
// which is what the subpackage otlpenv does for a provider exporting over
// OTLP as the standard OTEL_EXPORTER_OTLP_* environment variables say. That
// helper lives in its own package so that programs that bring their own
// provider do not link the OTLP exporters, gRPC and protobuf.
package otelcol
