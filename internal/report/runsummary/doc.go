// Package runsummary reads a run's events.jsonl, as written by
// metrics/eventlog, and reports where the run's time went: an EXPLAIN
// ANALYZE for a pipeline run. It is the logic behind `milestone summarize`,
// and ListRuns, listing the runs of an event-log directory, is the logic
// behind `milestone runs`.
//
// Every figure is computed from the values the collector wrote, in the
// units it wrote them (milliseconds; the *_s and wait_seconds keys are
// converted to milliseconds). Percentiles and medians use the nearest-rank
// method: the p-th percentile of n sorted values is the value at rank
// ceil(p/100 × n), so every figure reported is a value that was emitted.
package runsummary
