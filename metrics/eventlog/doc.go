// Package eventlog is a metrics.Collector that writes every event of a run
// as one JSON line to <dir>/<run_id>/events.jsonl: the run's event log, read
// back after the run by `milestone summarize`.
//
// # Lines
//
// The first line of a run's file says who wrote it:
//
//	{"event":"event_log_started","ts":"2026-03-17T23:33:54.101Z","run_id":"r1","ends_run":["reader.closed","write.completed","write.failed"],"version":"v0.3.0","host":"worker-7","pid":4242}
//
// ends_run lists the wire names of the declared events that end a run, so a
// reader that does not declare this program's catalogs can still tell a run
// that ended from one that stopped. And each event follows with its wire
// name, its time, its run, its place in the run's trace and its fields, in
// declaration order: integers, floats, booleans, strings as emitted (a
// label's original value, not its bounded one), and durations in the unit
// their name ends in (milliseconds for *_ms, seconds for *_s and
// *_seconds). Every declared event of every catalog is written:
//
//	{"event":"write.shard.completed","ts":"2026-03-17T23:33:54.953Z","run_id":"r1","trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331","parent_span_id":"5c2a1c8e2fb8b1a3","elapsed_ms":852.4,"db_id":3,"row_count":5000,"duration_ms":12.5}
//
// trace_id and span_id are those of the span the event's context held (see
// metrics/runctx): a step's, with parent_span_id its parent, or the run's
// root, with trace_parent_id the span of another trace the run joined, if
// any. When the context held no span, they are the ids runctx.Derive gives
// for the run id, which a run of its own has too: one trace id for every
// line of the run, the one metrics/tracing exports, so that `milestone
// trace` rebuilds the run's trace from this file.
//
// ts is the time Emit was called, RFC 3339 in UTC with milliseconds. When the
// queue was full and events were dropped, a line
//
//	{"event":"events_dropped","ts":"…","run_id":"r1","count":17}
//
// is written to the run's file as soon as there is room again.
//
// # Runs
//
// The run an event belongs to is, in order of precedence: the run the
// context's span belongs to (runctx.With, metrics.StartRun); the "run_id"
// field bound to the context with logctx.With (or the field WithRunKey
// names); or the
// collector's default run, a human-readable id such as
// "nimble-falcon-57ee1d" generated once per Collector (or set with
// WithDefaultRun) and stable for the collector's life (see DefaultRun).
//
// A run's id is written unchanged into its lines; the directory name is the
// id with every byte outside [A-Za-z0-9._-] percent-escaped ("/" becomes
// "%2F", "%" becomes "%25"), "." and ".." escaped whole, and over-long ids
// shortened with a hash suffix, so an id can never name a path outside dir
// (see RunDir). Files are created lazily on a run's first event, directories
// with mode 0o755 and files with 0o644, opened for appending: a run id seen
// again after its file was closed appends a new event_log_started line and
// its events to the same file.
//
// A run's file is flushed and closed when an event that ends the run
// (metrics.Descriptor.EndsRun: write.completed, write.failed, reader.closed, or an event of
// the application's that declares it) is written, and at Close.
//
// # Directory
//
// The directory is the one WithDir gives when it is not empty; otherwise
// the environment variable MILESTONE_EVENT_LOG_DIR when set and not empty;
// otherwise ~/.milestone/events. WithDir is the programmatic override: code
// that wants the environment to decide leaves it out.
//
// # Never in the way
//
// Emit never blocks on the disk and does not allocate (two one-off
// exceptions: the first event dropped for a run id adds it to the drop
// counts, and a logctx run_id that is not a string is formatted once per
// logctx scope). It copies the event, its
// payload, the time and the run id into a bounded queue, which one writer
// goroutine drains, encoding each line into a per-run buffer and writing it
// out when the buffer fills, when the queue goes idle, on Flush and at Close.
// When the queue is full the event is dropped and counted (Stats.Dropped).
// Write errors (a full disk, a missing permission) never reach the caller of
// Emit: the lines lost are counted (Stats.Lost, Stats.WriteErrors, and the
// milestone_* families of metrics/selfmetrics) and returned by Flush and
// Close. The collector's slog.Logger gets the first failure at once
// (event_log_write_failed, with the error as a structured field), then at
// most one summary a minute (event_log_write_errors, with the count), and
// event_log_write_recovered when writing works again; a failure after the
// recovery is logged at once again. A failed write is tried again with the
// next buffer, after a newline when it may have left a partial line, and a
// file that could not be opened is opened again at most once a second. Lines
// written out have reached the operating system, so they survive a crash of
// the process; with WithSync a run's file is also fsynced when it closes, so
// a finished run survives a crash of the machine.
//
// Flush waits until every event accepted before it was called has been
// written to the operating system. Close writes out everything accepted,
// closes every file even when closing one fails, and returns the errors of
// that last flush and close, joined. Close is idempotent; Emit after Close
// is ignored and counted in Stats.DroppedAfterClose.
package eventlog
