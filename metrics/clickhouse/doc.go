// Package clickhouse is a metrics.Collector that inserts every event of
// every catalog as a row of one ClickHouse table, so that the runs of many
// machines can be queried, and summarized, in one place.
//
// It talks to ClickHouse's HTTP interface with net/http (INSERT … FORMAT
// RowBinary, naming the columns it found in the table; gzip-compressed to a
// server that is not on this machine, WithCompression), which works with
// Debian's clickhouse-server 18.16 as with current servers; clickhouse-go's
// HTTP transport does not connect to 18.16, and its native batch insert
// costs about four times the client CPU per row (bench/). Why this wire
// and these defaults: docs/design/clickhouse-fleet.md.
//
// # Never in the way, never silent
//
// Emit copies the event into a bounded queue (WithQueueSize) and returns:
// it never blocks on the network and allocates nothing; when the queue is
// full the event is dropped and counted. One sender goroutine encodes rows
// into a batch, handed over when it holds DefaultBatchRows rows or
// DefaultBatchBytes bytes or DefaultFlushInterval after its first row
// (WithBatch): few, large inserts, as ClickHouse advises. A second
// goroutine posts it while the next is encoded. A batch that fails on a
// connection error, a timeout or a retryable server error (overload, too
// many parts, a restart) goes to the next server at once when there are
// several (WithURL, failover), and is retried with exponential backoff and
// jitter for up to DefaultRetryFor (WithRetryFor); one refused for good (a
// missing table, a malformed row, bad credentials) is reported once with
// the server's message and its rows counted lost. Every row
// carries its run's sequence number (seq), so a row a retry delivered twice
// is visible (same run_id and seq).
//
// Flush waits for everything accepted before it and returns an error when
// events were lost or dropped since the previous Flush; Close does the same
// for the collector's life and stops the sender. Stats, and the milestone_*
// families metrics/selfmetrics exports from it, count drops, losses,
// retries and the last error.
//
// # Configuration
//
// Options (WithURL, WithUser, WithPassword, WithDatabase, WithTable) win;
// what they leave out comes from MILESTONE_CLICKHOUSE_URL, _USER (default
// "default"), _PASSWORD, _DATABASE (default "default") and _TABLE (default
// "milestone_events"). A malformed value fails New with an error naming the
// option or the variable. The password is sent in an Authorization header
// and never printed: errors, logs and metrics name the server by its URL
// without credentials.
//
// # Schema
//
// DDL returns the table's CREATE statement (also `milestone clickhouse
// ddl`); WithCreateTable creates it when missing, with the column types the
// server's version suits. Each row has typed columns for what every event
// has and the event's own fields in parallel arrays (see DDL). The sink
// asks the server for the table's columns and writes those it knows: a
// table that lacks some (one made before the trace columns) gets its rows
// without them, and one log line says so.
//
// # A cluster
//
// Statements with TableOptions.Cluster (`milestone clickhouse ddl
// --cluster NAME`, and CreateTable to run them on every node) gives a
// MergeTree table per node and a Distributed table over them, sharded by
// run, under the default name: the sink writes to any node's Distributed
// table, which keeps a run's rows on one shard, and readers read through
// any node. ReadRun, EachRun and ListRuns read runs back as event-log
// lines, which is how `milestone summarize --clickhouse` and `milestone
// runs --clickhouse` report on them with the same code as on files; Query
// runs a reader's own SELECT (an aggregate a row a run) with the same
// servers and failover.
package clickhouse
