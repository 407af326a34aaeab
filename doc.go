// Package milestone turns the lifecycle events of a data pipeline into
// Prometheus metrics, OpenTelemetry metrics, a per-run JSONL event log and
// ELK-ready JSON logs, through one small interface, metrics.Collector.
//
// The module's packages:
//
//   - metrics: catalogs of typed events (Declare), Payload, Collector, Multi,
//     Nop, Recorder, and the Run/Step timing helpers.
//   - metrics/catalogdoc: the Markdown page of any catalog.
//   - metrics/slogcol: a Collector writing every event as a slog record.
//   - metrics/prom: a Collector on prometheus/client_golang.
//   - metrics/otelcol: a Collector on the OpenTelemetry metric API.
//   - metrics/eventlog: a Collector writing <dir>/<run_id>/events.jsonl.
//   - metrics/collectortest: the conformance suite every Collector passes.
//   - logctx: fields bound to a context, named loggers, log events and failures.
//   - jsonlog: a fast slog.Handler writing flat or ECS JSON lines.
//
// The built-in catalog is documented in docs/events.md, generated from its
// declarations in metrics/builtin.go (go generate ./...).
package milestone

//go:generate go run ./cmd/milestone docs -o docs/events.md
//go:generate go run ./cmd/milestone mixin --out mixin
