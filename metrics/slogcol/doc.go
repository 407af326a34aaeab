// Package slogcol is a metrics.Collector that writes every event as one
// log/slog record: the event's declared level and rendered message (its
// Spec.Message with the fields filled in), its wire name, code and catalog,
// and its fields as attributes — dbt's "every event is also a log line",
// for any catalog.
//
// A record goes, by default, to the logger of the event's catalog and group
// (logctx.CatalogLogger: "shardyfusion.write", "querylog.query"), so that
// logctx.SetLevel on a namespace or group turns an event's lines on or off
// at run time, and jsonlog.Configure decides where they go. The context
// given to Emit reaches the handler, so the fields bound to it with
// logctx.With appear on the line when the handler reads them (jsonlog's
// does; wrap any other handler with logctx.Handler).
//
// A line for write.shard.completed, through jsonlog's flat layout:
//
//	{"timestamp":"…","level":"INFO","logger":"shardyfusion.write","event":"shard 3 written: 5000 rows in 1500 ms","run_id":"r1","event_name":"write.shard.completed","event_code":4,"catalog":"shardyfusion","elapsed_ms":852.4,"db_id":3,"row_count":5000,"duration_ms":1500}
//
// Durations are written as numbers in the unit their name ends in, as in
// the event log; labels as emitted. Unlike the metric backends, a record
// allocates (its message and attributes): log the events you need at the
// levels you keep, and let the level check, which costs nothing, drop the
// rest.
package slogcol
