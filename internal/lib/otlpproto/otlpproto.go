// Package otlpproto reads which OTLP protocol the standard environment
// variables select for a signal, for metrics/otelcol/otlpenv and
// metrics/tracing alike.
package otlpproto

import (
	"fmt"
	"os"
	"strings"
)

// The OTLP protocols milestone exports with.
const (
	// HTTP is OTLP over HTTP with protobuf bodies, the default.
	HTTP = "http/protobuf"
	// GRPC is OTLP over gRPC.
	GRPC = "grpc"
)

// EnvProtocol selects the protocol for every signal.
const EnvProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL"

// Protocol returns the protocol the environment selects for a signal: the
// variable signalVar (such as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL), else
// OTEL_EXPORTER_OTLP_PROTOCOL, else HTTP. It returns an error naming the
// variable, prefixed by pkg, for any other value than HTTP and GRPC.
func Protocol(pkg, signalVar string) (string, error) {
	for _, name := range []string{signalVar, EnvProtocol} {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			continue
		}
		switch v {
		case HTTP, GRPC:
			return v, nil
		case "http/json":
			return "", fmt.Errorf("%s: %s=%q: the Go OTLP exporters do not support http/json; use %q or %q", pkg, name, v, HTTP, GRPC)
		default:
			return "", fmt.Errorf("%s: %s=%q: want %q or %q", pkg, name, v, HTTP, GRPC)
		}
	}
	return HTTP, nil
}
