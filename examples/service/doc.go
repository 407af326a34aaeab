// Command service is milestone's demo: a sharded key-value snapshot written
// and served with every collector wired in.
//
//	go run ./examples/service
//
// With no flags it writes a demo snapshot of 200,000 rows in 8 shards into
// ./data (examples/shardkv), opens a reader and serves on 127.0.0.1:9464:
//
//	GET  /metrics         Prometheus metrics: the shardyfusion_* families, Go runtime and process
//	GET  /get?key=K       the value of K as JSON; several key parameters make one MultiGet
//	POST /refresh         make the reader pick up the newest snapshot
//	GET  /healthz         200 once the first snapshot is served
//
// A background loop reads keys and re-writes the snapshot periodically, with
// a few injected transient storage faults, so that every metric moves. Logs
// are JSON lines on stdout (-log-format flat or ecs); every request's lines
// carry its request_id. -otlp adds an OpenTelemetry collector exporting over
// OTLP as the OTEL_* environment variables say. SIGINT or SIGTERM stops the
// service cleanly: requests are drained, the reader closed and the
// collectors flushed.
package main
