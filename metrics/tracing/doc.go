// Package tracing is a metrics.Collector that makes every run a trace, from
// the events the application already emits, on the OpenTelemetry trace SDK,
// exported over OTLP (HTTP or gRPC, configured by the standard OTEL_*
// variables: NewFromEnv) to Jaeger, Tempo or any OTLP trace store.
//
// The spans follow the identity the context holds (metrics/runctx): a run
// started with metrics.StartRun or bound with runctx.With, and the steps
// started with Run.Step, which nest:
//
//   - a run is a root span, named after the group of the event that ends it
//     ("write", "query", "task"), from the run's first event to that event
//     (Spec.EndsRun), or from as long before it as its duration field says
//     when that is earlier (metrics.EndRun); it carries
//     cicd.pipeline.run.id and cicd.pipeline.result, as OpenTelemetry's
//     CI/CD conventions name them;
//   - the first event with a duration (a field tagged duration) emitted in a
//     step's context ends the step: a child span of the step's parent,
//     named after the event, that started the duration before it, with the
//     event's fields as attributes; an event with a duration emitted
//     anywhere else is a child span of its own;
//   - an event without a duration (a retry, a throttle, a batch) is a span
//     event of the span it was emitted in, with its fields as attributes;
//   - an ERROR-level event (its level, or its LevelBy value) sets its span's
//     status to error, with error.type (its error_type field when it has
//     one, else its name); a run ending in error is cicd.pipeline.result
//     "failure".
//
// A span's ids are the ones every sink wrote for it (the event log,
// ClickHouse, the log lines), because the collector's TracerProvider takes
// them from the identity: a run's trace id is derived from its run id
// (runctx.Derive) unless it joined a trace, so `milestone trace` rebuilds a
// finished run's trace from its event log on the same ids.
//
// Spans are made when they end, their start in the past, as Airflow makes
// its task spans, so the collector keeps the span events of the spans still
// open, within limits (WithLimits): what goes over is counted in Health,
// never silent. A step that had events but never ended is exported in error
// when its run ends; a run still open at Shutdown is exported in error
// ("not_ended"). An event in the context of another tracer's span (an HTTP
// server's) is a child span or an event of that span; an event in a context
// with no span is not traced. Runs are sampled unless they join a trace that
// is not.
package tracing
