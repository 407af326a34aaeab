// Package shardkv is a small sharded key-value store on local disk, written
// to show milestone's collectors and logging on real work: every event of the
// metrics catalog is emitted by one of its code paths, with real durations.
//
// Write shards rows by the FNV-1a hash of their key into NumShards sorted,
// indexed shard files, batch by batch, under a rate limiter; stores them
// through a Storage whose transient failures are retried (s3.retry,
// s3.retry_exhausted), retries a failed shard with a backoff
// (write.shard.retried, write.shard.retry_exhausted); then stores a JSON
// manifest and atomically replaces the CURRENT pointer (temporary file,
// fsync, rename, fsync of the directory). Open, Get, MultiGet, Refresh and
// Close read the published snapshot and emit the reader.* events.
//
// Layout of a directory:
//
//	CURRENT                          "runs/<run_id>/manifest.json\n"
//	runs/<run_id>/manifest.json      the Manifest, as JSON
//	runs/<run_id>/shard-00000.skv    one file per shard (format in format.go)
//
// A write that fails or is killed before CURRENT moves leaves the previous
// snapshot published and intact; Prune removes the runs no longer needed.
//
// Faults injects transient storage failures so that the retry paths can be
// seen working in tests and demos.
package shardkv
