// Package exampletest reads back what the example programs' tests check:
// JSON lines (the event log and the JSON log), a Prometheus registry's
// series and an OpenTelemetry collection's points.
package exampletest
