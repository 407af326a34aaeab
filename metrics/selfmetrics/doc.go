// Package selfmetrics exports milestone's own health as Prometheus families
// named milestone_* (never a catalog's prefix): what each sink dropped,
// lost or failed to write, what the log handlers could not write, the
// panics collectors recovered, the values backends refused, the label
// values that overflowed their bound and the events never declared. One
// call registers them on the application's registry, next to its own
// metrics:
//
//	err := selfmetrics.Register(reg, eventLog, clickHouse, fanout, promCollector, jsonHandler)
//
// so that `curl /metrics | grep '^milestone_'` shows every loss an
// operator must see. The values are read from each component's counters
// at scrape time; nothing is counted twice.
//
// Families (sinks and components of one kind are summed):
//
//	milestone_events_dropped_total{sink}       events a sink's full queue (or Close) refused: eventlog, clickhouse
//	milestone_events_lost_total{sink}          events a sink accepted and could not write or deliver
//	milestone_write_errors_total{sink}         failed writes, fsyncs and closes (eventlog), failed inserts (clickhouse)
//	milestone_fsync_errors_total{sink}         failed fsyncs (eventlog with WithSync)
//	milestone_eventlog_runs_removed_total      runs the event log's retention removed
//	milestone_log_lines_failed_total{handler}  log lines whose Write failed (jsonlog) or records a handler refused (slogcol)
//	milestone_log_lines_truncated_total        jsonlog lines cut to their maximum length
//	milestone_log_fields_renamed_total         jsonlog fields written under another key to stay indexable (never dropped)
//	milestone_collector_panics_total{collector} panics recovered by Multi, otelcol and slogcol
//	milestone_invalid_values_total{backend}    negative counts and durations refused by prom and otelcol
//	milestone_label_overflows_total{catalog,label} label values recorded as "other"
//	milestone_undeclared_events_total          metrics.Emit calls with a type never declared
//	milestone_clickhouse_rows_sent_total, _batches_sent_total, _batches_lost_total, _retries_total,
//	milestone_clickhouse_last_error_timestamp_seconds
package selfmetrics
