package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/milestone-go/milestone/internal/lib/otlpproto"
)

// EnvTracesProtocol selects the OTLP protocol for traces; it wins over
// OTEL_EXPORTER_OTLP_PROTOCOL.
const EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"

// NewExporter returns an OTLP span exporter configured by the standard
// environment variables: the protocol from OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
// or OTEL_EXPORTER_OTLP_PROTOCOL ("http/protobuf", the default, or "grpc"),
// the endpoint, headers, timeout and TLS from OTEL_EXPORTER_OTLP_* as the
// OTel exporters read them. ctx bounds only its creation.
func NewExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	protocol, err := otlpproto.Protocol("tracing", EnvTracesProtocol)
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if protocol == otlpproto.GRPC {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: creating the OTLP %s exporter: %w", protocol, err)
	}
	return exp, nil
}

// NewFromEnv returns a Collector exporting over OTLP as NewExporter
// configures it; opts configure the collector as for New (a WithExporter
// among them is overridden).
func NewFromEnv(ctx context.Context, opts ...Option) (*Collector, error) {
	exp, err := NewExporter(ctx)
	if err != nil {
		return nil, err
	}
	c, err := New(append(append([]Option(nil), opts...), WithExporter(exp))...)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, err
	}
	return c, nil
}
