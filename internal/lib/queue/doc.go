// Package queue is the bounded, double-buffered queue between the callers
// of a sink's Emit and the one goroutine that writes (metrics/eventlog,
// metrics/clickhouse): Push never blocks and never allocates, and hands off
// to the consumer in whole batches, so neither side waits for the other's
// work, only for a slice swap.
package queue
