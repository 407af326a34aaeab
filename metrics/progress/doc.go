// Package progress estimates how far a run has got, and when it will end,
// from the work its events declare (metrics.Work): rows, bytes, inputs,
// never task counts, whose total grows as tasks are submitted (so that the
// percentage goes backwards) and which move only when a task ends.
//
// A Tracker follows one run. Each stage of the run's catalog (the write's
// sharding and writing) has a total, announced when known, and work done,
// added as the run reports it, inside long steps too (querylog's stats,
// the write's batches); a part of a stage (a shard) counts at most its own
// total, and a part that is restarted (a failed attempt) loses what it had
// done. The run's fraction weighs its stages by the share of a run's time
// each takes (Weights, learned from finished runs with Learn; equal until
// then). The fraction reported never goes backwards, reaches 1 when the
// run's ending event arrives, and the estimate says when the run has
// stalled: no work for several times its usual gap.
//
// Score measures an estimator as DuckDB measures its progress bar: the
// time-weighted RMS distance between the fraction reported and t/T, and
// the median error of the ETA once 20% is done.
//
// Line (line.go) is a Collector drawing a run's progress on a terminal.
package progress
