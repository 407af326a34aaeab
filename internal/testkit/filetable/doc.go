// Package filetable gives tests one collector that writes every event into
// an event-log directory and a ClickHouse table at once, so that a test can
// compare what the two sources of one run give (runs.Dir and
// runs.ClickHouse, `summarize` and `summarize --clickhouse`).
package filetable
