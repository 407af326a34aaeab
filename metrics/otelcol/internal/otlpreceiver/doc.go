// Package otlpreceiver is a minimal in-process OTLP metrics receiver for
// tests: an HTTP (OTLP/HTTP, protobuf) or gRPC server on 127.0.0.1 that
// decodes every export with the official OTLP protobuf types
// (go.opentelemetry.io/proto/otlp) and keeps the requests for assertions.
package otlpreceiver
