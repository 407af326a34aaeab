// Package runs reads the runs milestone recorded, from an event-log
// directory (Dir) or a ClickHouse table (ClickHouse), and reports on them:
// the public API behind `milestone runs`, `summarize`, `profile` and
// `serve`.
//
//	src := runs.Dir("data/events")
//	list, _ := src.List(ctx)              // every run: id, trace, status, start, duration, events, errors
//	s, _ := runs.Summarize(ctx, src, id)  // where one run's time went
//	rc, _ := src.Open(ctx, id)
//	shards, _ := runs.Decode[shardyfusion.ShardWriteCompleted](rc) // your own structs back
//
// Both sources give a run as the lines metrics/eventlog writes, so every
// figure is the same from either. Events yields a run's events one by one,
// with their place in the run's trace.
//
// A long list wants ListGlances: the same RunInfo figures without the
// event table. A directory glances at each run once and again only when
// its file changes; ClickHouse answers one aggregate query with a row a
// run. List reads every run in full (ClickHouse's a run at a time, so
// memory holds one run, not the table).
//
// Every figure is computed from the values the collector wrote, in the
// units it wrote them (milliseconds; the *_s and wait_seconds keys are
// converted to milliseconds). Percentiles and medians use the nearest-rank
// method: the p-th percentile of n sorted values is the value at rank
// ceil(p/100 × n), so every figure reported is a value that was emitted.
package runs

// PercentileMethod is how every percentile of a report is taken
// (Summary.Percentiles).
const PercentileMethod = "nearest rank: the p-th percentile of n sorted values is the value at rank ceil(p/100 × n), a value that was emitted (the median of 8 values is the 4th, not the mean of the 4th and 5th)"
