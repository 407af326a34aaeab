// Package serverproc runs the real server processes milestone's integration
// tests start (Prometheus, Alertmanager, ClickHouse, Jaeger): finding the
// binary, skipping the test when it is absent unless CI is set, keeping the
// process's output for the failure message, waiting until it is ready while
// noticing when it dies instead, and stopping it within a bound.
package serverproc
