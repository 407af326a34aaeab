package otlpenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/milestone-go/milestone/internal/lib/otlpproto"
	"github.com/milestone-go/milestone/metrics/otelcol"
)

// The OTLP protocols this package exports with.
const (
	// ProtocolHTTP is OTLP over HTTP with protobuf bodies, the default.
	ProtocolHTTP = otlpproto.HTTP
	// ProtocolGRPC is OTLP over gRPC.
	ProtocolGRPC = otlpproto.GRPC
)

// The environment variables this package reads itself.
const (
	// EnvMetricsProtocol selects the protocol for metrics; it wins over
	// EnvProtocol.
	EnvMetricsProtocol = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
	// EnvProtocol selects the protocol for every signal.
	EnvProtocol = otlpproto.EnvProtocol
	// EnvExportInterval is the time between two exports, in milliseconds.
	EnvExportInterval = "OTEL_METRIC_EXPORT_INTERVAL"
	// EnvExportTimeout bounds one export, in milliseconds.
	EnvExportTimeout = "OTEL_METRIC_EXPORT_TIMEOUT"
)

// Option configures NewMeterProvider.
type Option func(*config) error

type config struct {
	resource *resource.Resource
	views    []sdkmetric.View
}

// WithResource sets the resource the provider describes its telemetry with,
// instead of the SDK's default (which reads OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES).
func WithResource(res *resource.Resource) Option {
	return func(c *config) error {
		if res == nil {
			return errors.New("otlpenv: WithResource: nil Resource")
		}
		c.resource = res
		return nil
	}
}

// WithViews adds views to the provider, for example to change a histogram's
// aggregation.
func WithViews(views ...sdkmetric.View) Option {
	return func(c *config) error {
		c.views = append(c.views, views...)
		return nil
	}
}

// Protocol returns the OTLP protocol the environment selects:
// OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
// ProtocolHTTP. It returns an error naming the variable for any other value
// than ProtocolHTTP and ProtocolGRPC.
func Protocol() (string, error) { return otlpproto.Protocol("otlpenv", EnvMetricsProtocol) }

// envMillis reads a positive whole number of milliseconds from the variable
// name; ok is false when it is unset.
func envMillis(name string) (d time.Duration, ok bool, err error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > int64(time.Duration(1<<63-1)/time.Millisecond) {
		return 0, false, fmt.Errorf("otlpenv: %s=%q: want a positive whole number of milliseconds", name, v)
	}
	return time.Duration(n) * time.Millisecond, true, nil
}

// NewMeterProvider builds an sdkmetric.MeterProvider with a PeriodicReader
// over an OTLP exporter chosen and configured by the environment (see the
// package documentation). It returns the provider and a shutdown function,
// the provider's Shutdown: it force-flushes (its periodic reader collects
// and exports everything recorded, in one final export) and then shuts the
// exporter down; call it once when the program ends. ctx bounds only the
// creation of the exporter.
func NewMeterProvider(ctx context.Context, opts ...Option) (*sdkmetric.MeterProvider, func(context.Context) error, error) {
	var cfg config
	for i, opt := range opts {
		if opt == nil {
			return nil, nil, fmt.Errorf("otlpenv: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, nil, err
		}
	}
	protocol, err := Protocol()
	if err != nil {
		return nil, nil, err
	}
	var readerOpts []sdkmetric.PeriodicReaderOption
	interval, ok, err := envMillis(EnvExportInterval)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		readerOpts = append(readerOpts, sdkmetric.WithInterval(interval))
	}
	timeout, ok, err := envMillis(EnvExportTimeout)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		readerOpts = append(readerOpts, sdkmetric.WithTimeout(timeout))
	}

	var exp sdkmetric.Exporter
	switch protocol {
	case ProtocolGRPC:
		exp, err = otlpmetricgrpc.New(ctx)
	default:
		exp, err = otlpmetrichttp.New(ctx)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("otlpenv: creating the OTLP %s exporter: %w", protocol, err)
	}

	mpOpts := []sdkmetric.Option{sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, readerOpts...))}
	if cfg.resource != nil {
		mpOpts = append(mpOpts, sdkmetric.WithResource(cfg.resource))
	}
	if len(cfg.views) > 0 {
		mpOpts = append(mpOpts, sdkmetric.WithView(cfg.views...))
	}
	mp := sdkmetric.NewMeterProvider(mpOpts...)
	return mp, mp.Shutdown, nil
}

// NewCollector builds an otelcol.Collector on a MeterProvider made by
// NewMeterProvider, which the collector owns: Collector.Flush force-flushes
// it and Collector.Close flushes and shuts it down. opts configure the
// collector as for otelcol.New; a WithMeterProvider or
// WithOwnedMeterProvider among them is overridden.
func NewCollector(ctx context.Context, opts ...otelcol.Option) (*otelcol.Collector, error) {
	mp, shutdown, err := NewMeterProvider(ctx)
	if err != nil {
		return nil, err
	}
	all := append(append([]otelcol.Option(nil), opts...), otelcol.WithOwnedMeterProvider(mp, shutdown))
	c, err := otelcol.New(all...)
	if err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = mp.Shutdown(sctx)
		return nil, err
	}
	return c, nil
}
