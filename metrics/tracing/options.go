package tracing

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Defaults of the options.
const (
	// DefaultMaxEventsPerSpan bounds the span events kept for one span, as
	// the OTel SDK's own default limit does.
	DefaultMaxEventsPerSpan = 128
	// DefaultMaxOpenRuns bounds the runs kept open at once; opening one
	// more forgets the oldest, counted in Health.
	DefaultMaxOpenRuns = 10000
)

// Option configures New.
type Option func(*config) error

type config struct {
	exporter   sdktrace.SpanExporter
	resource   *resource.Resource
	logger     *slog.Logger
	maxEvents  int
	maxRuns    int
	syncExport bool
	now        func() time.Time
}

// WithExporter sends the spans to exp, through a batching span processor
// (the OTel SDK's BatchSpanProcessor, so that Emit never waits on it). New
// needs an exporter; NewFromEnv builds an OTLP one from the environment.
func WithExporter(exp sdktrace.SpanExporter) Option {
	return func(c *config) error {
		if exp == nil {
			return errors.New("tracing: WithExporter(nil): the exporter must not be nil")
		}
		c.exporter = exp
		return nil
	}
}

// WithSyncExport sends each span to the exporter as it ends, in the
// emitting goroutine (sdktrace.WithSyncer). For tests and for rebuilding a
// trace from an event log, never for a live program: Emit then waits on the
// exporter.
func WithSyncExport() Option {
	return func(c *config) error {
		c.syncExport = true
		return nil
	}
}

// WithResource sets the resource the spans describe their source with
// (default: the SDK's, which reads OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES).
func WithResource(res *resource.Resource) Option {
	return func(c *config) error {
		if res == nil {
			return errors.New("tracing: WithResource(nil): the resource must not be nil")
		}
		c.resource = res
		return nil
	}
}

// WithLogger sets the logger an ignored event is reported to (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("tracing: WithLogger(nil): the logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the function Emit reads the time from (default time.Now),
// as eventlog.WithClock and clickhouse.WithClock do: for tests whose sinks
// must stamp one event alike. With it, every span ends at its event's
// instant on that clock (by default a live span ends when the SDK gets it,
// on the SDK's clock).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("tracing: WithClock(nil): the clock must not be nil")
		}
		c.now = now
		return nil
	}
}

// WithLimits bounds the span events kept for one span until it ends
// (default DefaultMaxEventsPerSpan) and the runs open at once (default
// DefaultMaxOpenRuns); what goes over is counted in Health, never silent.
// Both must be at least 1.
func WithLimits(eventsPerSpan, openRuns int) Option {
	return func(c *config) error {
		if eventsPerSpan < 1 || openRuns < 1 {
			return fmt.Errorf("tracing: WithLimits(%d, %d): both limits must be at least 1", eventsPerSpan, openRuns)
		}
		c.maxEvents, c.maxRuns = eventsPerSpan, openRuns
		return nil
	}
}
