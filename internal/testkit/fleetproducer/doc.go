// Command fleetproducer is one pipeline process of the ClickHouse fleet
// test (cmd/milestone's TestFleet…): for a bounded time it writes sharded
// key-value snapshots with examples/shardkv, each write a run, with every
// event going both to its own event log and to a ClickHouse cluster
// (metrics/clickhouse, with failover over the URLs it is given). When the
// time is up it closes both and prints one JSON line of what it did; it
// exits 1 when anything was lost or dropped.
//
//	fleetproducer -clickhouse URL[,URL…] -events DIR -name NAME [-for 10s]
package main
