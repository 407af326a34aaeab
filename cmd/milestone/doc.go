// Command milestone works with what milestone's collectors wrote.
//
// Usage:
//
//	milestone summarize [--json] PATH
//
// summarize reads a run's event log, as written by metrics/eventlog (PATH is
// a run directory such as ~/.milestone/events/nimble-falcon-57ee1d, or its
// events.jsonl), and reports where the run's time went: the total time; the
// time of each phase of the write (sharding, shard writes, manifest,
// current); the shards' min, median and max write durations and the slowest
// shards; the rows written; retries and time spent throttled; and the
// reader's lookups with their latency percentiles. --json prints the same
// figures as JSON. A torn last line, as a crash leaves it, is ignored and
// reported.
//
// Exit status: 0 on success, 1 when PATH cannot be read, 2 on a usage error.
package main
