package clickhouse

// DDL returns the CREATE TABLE statement of the events table, which works
// on ClickHouse 18.16 (Debian's) and on current servers:
//
//   - typed columns for what every row has: ts (DateTime, seconds) and
//     ts_ms (the milliseconds), event_date (materialised from ts, the
//     partition key), service, host, run_id, seq (the row's number in its
//     run, from 1: a row a retry delivered twice has the same run_id and
//     seq), trace_id, span_id and parent_span_id (the event's place in its
//     run's trace, as lowercase hex: see metrics/runctx; parent_span_id is
//     empty but for a step's events), catalog, event (the wire name), code,
//     grp, level and message (the rendered message template);
//   - the event's own fields in parallel arrays: num_keys/num_values for
//     numbers (integers, floats, booleans as 0 or 1, durations in the unit
//     their name ends in: milliseconds for _ms, seconds for _s and
//     _seconds) and str_keys/str_values for strings and labels (as
//     emitted, not bounded).
//
// A field is read back with indexOf:
//
//	SELECT run_id, num_values[indexOf(num_keys, 'duration_ms')] AS duration_ms
//	FROM milestone_events WHERE event = 'write.shard.completed'
//
// A newer server can add a TTL (TTL event_date + INTERVAL 90 DAY),
// compression codecs (CODEC(Delta, ZSTD) on ts and seq) and Map columns in
// place of the parallel arrays; 18.16 has none of them. LowCardinality
// needs allow_experimental_low_cardinality_type=1 on 18.16, which New sends
// with the statement.
//
// A table created by a release before the trace columns needs them added
// (rows inserted without them would lose the ids: the server skips fields
// it does not know):
//
//	ALTER TABLE milestone_events ADD COLUMN trace_id String AFTER seq,
//	    ADD COLUMN span_id String AFTER trace_id, ADD COLUMN parent_span_id String AFTER span_id
func DDL(database, table string) string {
	return `CREATE TABLE IF NOT EXISTS ` + database + `.` + table + ` (
    ts DateTime,
    ts_ms UInt16,
    event_date Date MATERIALIZED toDate(ts),
    service LowCardinality(String),
    host LowCardinality(String),
    run_id String,
    seq UInt64,
    trace_id String,
    span_id String,
    parent_span_id String,
    catalog LowCardinality(String),
    event LowCardinality(String),
    code UInt16,
    grp LowCardinality(String),
    level LowCardinality(String),
    message String,
    num_keys Array(String),
    num_values Array(Float64),
    str_keys Array(String),
    str_values Array(String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (service, event, ts, run_id, seq)
`
}
