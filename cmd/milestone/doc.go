// Command milestone works with what milestone's collectors wrote.
//
// Usage:
//
//	milestone summarize [--json] PATH
//	milestone runs [--json] [DIR]
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
// runs lists the runs of an event-log directory (DIR, else
// $MILESTONE_EVENT_LOG_DIR, else ~/.milestone/events), oldest first, one a
// line: its id, start time, total time, writes completed of those started,
// rows written, retries, events dropped and a status: completed, incomplete
// (a write started and never completed), no write, or unreadable.
//
// Exit status: 0 on success, 1 when PATH or DIR cannot be read (for runs,
// also when one run's file cannot be; the others are listed), 2 on a usage
// error.
package main
