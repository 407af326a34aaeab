package otelcol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/milestone-go/milestone/metrics"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Option configures New.
type Option func(*config) error

type config struct {
	provider     metric.MeterProvider
	owned        bool
	shutdown     func(context.Context) error
	catalogs     []*metrics.Catalog // nil: every catalog declared before New
	logger       *slog.Logger
	meterName    string
	meterNameSet bool
	namespace    string
	namespaceSet bool
	attrs        []attribute.KeyValue
	buckets      metrics.BucketOverrides
}

// WithMeterProvider creates the collector's instruments on mp instead of the
// global provider (otel.GetMeterProvider). The collector never flushes or
// shuts down a provider passed this way: its owner does. Tests pass an
// sdkmetric.MeterProvider with a ManualReader.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if mp == nil {
			return errors.New("otelcol: WithMeterProvider: nil MeterProvider")
		}
		c.provider, c.owned, c.shutdown = mp, false, nil
		return nil
	}
}

// WithOwnedMeterProvider creates the collector's instruments on mp and hands
// mp over to the collector: Collector.Flush calls mp's ForceFlush method (when
// it has one, as sdkmetric.MeterProvider does) and Collector.Close calls
// shutdown, or mp's Shutdown method when shutdown is nil. Use it for a
// provider built only for this collector, such as the one
// metrics/otelcol/otlpenv builds from the environment. When New returns an
// error, the provider has not been handed over: the caller shuts it down.
func WithOwnedMeterProvider(mp metric.MeterProvider, shutdown func(context.Context) error) Option {
	return func(c *config) error {
		if mp == nil {
			return errors.New("otelcol: WithOwnedMeterProvider: nil MeterProvider")
		}
		if shutdown == nil {
			if s, ok := mp.(shutdowner); ok {
				shutdown = s.Shutdown
			}
		}
		c.provider, c.owned, c.shutdown = mp, true, shutdown
		return nil
	}
}

// WithMeterName sets the name of the meter the instruments of the one
// catalog the collector carries are created on: the instrumentation scope,
// exported as otel.scope.name (the catalog's namespace unless set; New
// refuses it with more than one catalog). It must not be empty. It does not
// change the instrument names; see WithNamespace.
func WithMeterName(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("otelcol: WithMeterName: the meter name must not be empty")
		}
		c.meterName, c.meterNameSet = name, true
		return nil
	}
}

// WithCatalog narrows the collector to the events of cats. Without it the
// collector carries every catalog declared before New, each on a meter of
// its own named after its namespace, with instruments named
// "namespace.name". An event the collector does not carry is ignored,
// counted in milestone_events_ignored_total{collector="otelcol"} and logged
// once. Given twice, the catalogs add up.
func WithCatalog(cats ...*metrics.Catalog) Option {
	return func(c *config) error {
		if len(cats) == 0 {
			return errors.New("otelcol: WithCatalog(): name at least one catalog")
		}
		for i, cat := range cats {
			if cat == nil {
				return fmt.Errorf("otelcol: WithCatalog: catalog %d is nil", i)
			}
			if !slices.Contains(c.catalogs, cat) {
				c.catalogs = append(c.catalogs, cat)
			}
		}
		return nil
	}
}

// WithLogger sets the logger an ignored event and the first panic of the
// MeterProvider are reported to (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("otelcol: WithLogger(nil): the logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithNamespace sets the dotted prefix of every instrument name of the one
// catalog the collector carries (the catalog's namespace, such as
// "shardyfusion", unless set; New refuses it with more than one catalog):
// the instrument fed by the
// catalog's shard_writes_completed_total is named namespace +
// ".shard_writes_completed". An empty namespace gives the bare catalog names.
// Otherwise it must start with a letter and hold only letters, digits and the
// characters _ . - /, as OpenTelemetry instrument names must. Through the
// OpenTelemetry Prometheus exporter the dot becomes "_", so the default gives
// the same family names as metrics/prom's default prefix, the namespace and
// "_".
func WithNamespace(ns string) Option {
	return func(c *config) error {
		if ns != "" {
			if err := checkName(ns); err != nil {
				return fmt.Errorf("otelcol: WithNamespace(%q): %w", ns, err)
			}
		}
		c.namespace, c.namespaceSet = ns, true
		return nil
	}
}

// WithAttributes adds attributes with fixed values to every measurement of
// the collector (the OpenTelemetry twin of Prometheus const labels), such as
// attribute.String("pipeline", "orders"). Each must have a non-empty key and
// a value of a defined type. Calling WithAttributes again adds to the
// attributes given before; of two attributes with one key, the last wins.
func WithAttributes(kvs ...attribute.KeyValue) Option {
	return func(c *config) error {
		for _, kv := range kvs {
			if !kv.Valid() {
				return fmt.Errorf("otelcol: WithAttributes: invalid attribute %q=%v: the key must not be empty and the value must have a type", string(kv.Key), kv.Value.Emit())
			}
		}
		c.attrs = append(c.attrs, kvs...)
		return nil
	}
}

// WithBuckets sets the explicit bucket upper bounds, in seconds, of the
// histogram named name (the catalog name, such as
// "shard_write_duration_seconds"). The bounds must be finite and strictly
// increasing; the SDK adds the +Inf bucket. It overrides WithAllBuckets for
// that histogram, whatever the order of the options; given twice for one
// name, the last wins. New fails when no catalog the collector carries has
// a histogram of that name; a name two catalogs share sets both.
//
// The bounds are passed as the instrument's advisory boundaries
// (metric.WithExplicitBucketBoundaries); a View configured on the
// MeterProvider still takes precedence.
func WithBuckets(name string, bounds ...float64) Option {
	return func(c *config) error {
		if err := c.buckets.Set(name, bounds); err != nil {
			return fmt.Errorf("otelcol: WithBuckets(%q): %w", name, err)
		}
		return nil
	}
}

// WithAllBuckets sets the explicit bucket upper bounds, in seconds, of every
// histogram WithBuckets does not set, replacing the catalog's defaults
// (Instrument.Buckets). The bounds must be finite and strictly increasing.
func WithAllBuckets(bounds ...float64) Option {
	return func(c *config) error {
		if err := c.buckets.SetAll(bounds); err != nil {
			return fmt.Errorf("otelcol: WithAllBuckets: %w", err)
		}
		return nil
	}
}

// checkName reports whether name is a valid OpenTelemetry instrument name:
// 1 to 255 characters, a letter first, then letters, digits, _ . - /.
func checkName(name string) error {
	if name == "" {
		return errors.New("a name must not be empty")
	}
	if len(name) > 255 {
		return fmt.Errorf("a name must be at most 255 characters, not %d", len(name))
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		letter := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		if i == 0 && !letter {
			return errors.New("a name must start with a letter")
		}
		if !letter && !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.' && ch != '-' && ch != '/' {
			return fmt.Errorf("character %q is not allowed: a name holds only letters, digits and _ . - /", ch)
		}
	}
	return nil
}
