// Package bigrun writes large runs for the tests and benchmarks that need
// one: a finished sharded-KV write of many shards, each a step with many
// batch events, written through the real event log.
package bigrun
