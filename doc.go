// Package milestone turns the lifecycle events of a data pipeline into
// Prometheus metrics, OpenTelemetry metrics, a per-run JSONL event log, rows
// in ClickHouse and ELK-ready JSON logs, through one small interface,
// metrics.Collector.
//
// The module's packages:
//
//   - metrics: the event core: catalogs of typed events (Declare), Payload,
//     Collector, Multi, Nop, Recorder, Run/Step, the health interface and
//     generic bucket sets.
//   - metrics/shardyfusion: the built-in catalog (a sharded key-value
//     writer and its readers), declared on import.
//   - metrics/runctx: a run's identity in a context, read by every sink.
//   - metrics/catalogdoc: the Markdown page of any catalog.
//   - metrics/collectortest: the conformance suite every Collector passes.
//   - metrics/prom: a Collector on prometheus/client_golang.
//   - metrics/otelcol: a Collector on the OpenTelemetry metric API;
//     metrics/otelcol/otlpenv builds one exporting over OTLP from the
//     standard OTEL_* variables.
//   - metrics/eventlog: a Collector writing <dir>/<run_id>/events.jsonl.
//   - metrics/clickhouse: a Collector inserting every event into ClickHouse
//     in batches, with its DDL and the runs read back.
//   - metrics/slogcol: a Collector writing every event as a slog record.
//   - metrics/tracing: a Collector making every run a trace (OTLP).
//   - metrics/progress: a run's progress and ETA from the work its events
//     declare, and a terminal progress line.
//   - metrics/selfmetrics: milestone's own health as milestone_* families.
//   - metrics/mixin: alerts, recording rules, a dashboard and a runbook for
//     any catalog.
//   - logctx: fields bound to a context, named loggers, log events and failures.
//   - jsonlog: a fast slog.Handler writing flat or ECS JSON lines.
//   - runs: the runs recorded, read from an event-log directory or
//     ClickHouse: listed, summarized, profiled, decoded into their structs.
//   - runs/explore: the run explorer, a web page of the runs.
//   - cmd/milestone: the command line: summarize, runs, profile, serve,
//     trace, clickhouse ddl, docs and mixin.
//
// The built-in catalog is documented in docs/events.md, generated from its
// declarations in metrics/shardyfusion (go generate ./...).
package milestone

//go:generate go run ./cmd/milestone docs -o docs/events.md
//go:generate go run ./cmd/milestone mixin --out mixin
