// Command milestone works with what milestone's collectors wrote: the event
// log of metrics/eventlog and the table of metrics/clickhouse.
//
// Usage:
//
//	milestone summarize [--json] PATH
//	milestone summarize [--json] --clickhouse URL RUN_ID
//	milestone runs [--json] [DIR]
//	milestone runs [--json] --clickhouse URL
//	milestone profile [--json] PATH
//	milestone profile [--json] --clickhouse URL RUN_ID
//	milestone serve [-addr HOST:PORT] DIR
//	milestone serve [-addr HOST:PORT] --clickhouse URL
//	milestone trace PATH
//	milestone clickhouse ddl [--database DB] [--table TABLE] [--cluster NAME] [--server-version V] [--create URL[,URL...]]
//	milestone docs [-o FILE]
//	milestone mixin [--catalog NS] --out DIR [--window 5m] [--warn-rate 0.1] [--warn-for 10m]
//	                [--latency NAME=DUR] [--stall-after 1h] [--runbook-url URL]
//
// summarize reads one run's event log (PATH is a run directory such as
// ~/.milestone/events/nimble-falcon-57ee1d, or its events.jsonl) and reports
// where the run's time went: its total time and, for any catalog, a table
// per event and label set with the count, total, p50, p99 and max of each
// duration and the sums of counts; for the built-in catalog's writes, also
// the time of each phase (sharding, shard writes, manifest, current), the
// shards' durations and the slowest shards, rows written, retries, time
// throttled and reader latency percentiles. --json prints the same figures
// as JSON. A torn last line, as a crash leaves it, is ignored and reported.
// With --clickhouse it reads RUN_ID's rows from ClickHouse instead and
// prints the same report.
//
// Both print the run's trace id, which a trace store (Jaeger) finds the
// run by.
//
// runs lists the runs of an event-log directory (DIR, else
// $MILESTONE_EVENT_LOG_DIR, else ~/.milestone/events), or of the ClickHouse
// table with --clickhouse, oldest first, one a line: its id, start time,
// total time, writes completed of those started, rows written, retries,
// events dropped and a status: completed, failed, incomplete (a run that
// started and never ended), no write, or unreadable.
//
// profile shows where a run's time went step by step: its steps as the
// spans of its trace, each with its start, duration, self time and share of
// the run, the critical path, and warnings (skewed steps, a retry storm, a
// stall, a run that never ended).
//
// serve runs the run explorer (runs/explore) on 127.0.0.1:8420 unless -addr
// says otherwise: the runs list, and each run's timeline, profile and
// events, updated live while a run of DIR is being written.
//
// trace rebuilds a finished run's trace from its event log and sends it
// over OTLP (configured by the standard OTEL_* variables), on the ids the
// live metrics/tracing collector used, and prints its trace id.
//
// clickhouse ddl prints the statements that create the table
// metrics/clickhouse inserts into: one CREATE TABLE, or with --cluster a
// MergeTree table per node and a Distributed table over them, sharded by
// run; --server-version picks the column types for the servers' version,
// and --create runs the statements on every server named instead.
//
// docs writes the Markdown page of the built-in catalog (docs/events.md).
//
// mixin writes the monitoring mixin (alerts, recording rules, a Grafana
// dashboard and a runbook) of a catalog this binary declares into DIR.
//
// Every command answers -h with its usage, what it does and its flags.
// With --clickhouse, an empty URL means $MILESTONE_CLICKHOUSE_URL; the user,
// password, database and table come from the MILESTONE_CLICKHOUSE_*
// variables, and the password is never printed.
//
// Exit status: 0 on success, 1 when the command failed (for runs, also when
// one run's file cannot be read; the others are listed), 2 on a usage error.
package main
