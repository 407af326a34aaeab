// Package runctx carries a run's identity in a context.Context, so that
// every sink files an event under the same run: the event log
// (<dir>/<run_id>/events.jsonl), ClickHouse (the run_id column), slogcol and
// the JSON log lines (the run_id field, through logctx).
//
// A run id is bound with With and read with ID. ID also accepts a "run_id"
// field bound with logctx.With, so a program that already binds its run id
// as a log field need not bind it twice; Field reads another key (a query
// engine's "query_id").
//
//	ctx = runctx.With(ctx, runctx.NewID())
//	metrics.Emit(ctx, c, QueryEnded{…}) // filed under that run by every sink
//
// The package depends on logctx and nothing else of milestone, so the core
// and every sink read one identity and no sink imports another.
package runctx
