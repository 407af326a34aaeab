// Package appkit is what the example programs on their own catalogs
// (examples/querylog, examples/tasksteps) share: the backends one run
// feeds — Prometheus on its own registry with milestone's self-metrics,
// the event log with the run key, the JSON log lines — and printing the
// registry in the text format.
package appkit
