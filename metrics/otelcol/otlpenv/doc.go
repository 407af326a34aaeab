// Package otlpenv builds an OpenTelemetry MeterProvider that exports over
// OTLP as the standard environment variables say, and an otelcol.Collector
// that owns it.
//
// The protocol comes from OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else
// OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" (the default) exports with
// go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp, "grpc"
// with otlpmetricgrpc. ("http/json" has no Go exporter and is refused.) The
// export interval and timeout come from OTEL_METRIC_EXPORT_INTERVAL and
// OTEL_METRIC_EXPORT_TIMEOUT, in milliseconds (defaults 60000 and 30000).
// The exporters read the rest themselves: OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, *_HEADERS, *_TIMEOUT, *_COMPRESSION,
// *_INSECURE, the certificate variables, and
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE; the SDK reads the
// resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
//
// Unlike the SDK, which logs and ignores a malformed variable, this package
// returns an error naming the variable, so a misconfigured deployment fails
// at start-up rather than exporting nowhere.
//
// It is a package of its own so that programs that bring their own
// MeterProvider to otelcol do not link the OTLP exporters, gRPC and protobuf.
package otlpenv
