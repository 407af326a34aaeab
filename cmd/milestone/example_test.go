package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// summarize takes a run directory or its events.jsonl and prints the report.
func Example_summarize() {
	dir, _ := os.MkdirTemp("", "summarize-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.jsonl")
	os.WriteFile(path, []byte(`{"event":"event_log_started","ts":"2026-03-17T23:33:54.000Z","run_id":"r1","version":"v1.0.0","host":"h","pid":7}
{"event":"write.started","ts":"2026-03-17T23:33:54.000Z","run_id":"r1","elapsed_ms":0}
{"event":"write.sharding_completed","ts":"2026-03-17T23:33:54.100Z","run_id":"r1","elapsed_ms":100,"duration_ms":100}
{"event":"write.shard.completed","ts":"2026-03-17T23:33:54.400Z","run_id":"r1","elapsed_ms":400,"db_id":0,"row_count":10,"duration_ms":300}
{"event":"write.shards_completed","ts":"2026-03-17T23:33:54.400Z","run_id":"r1","elapsed_ms":400,"duration_ms":300,"rows_written":10}
{"event":"write.manifest_published","ts":"2026-03-17T23:33:54.450Z","run_id":"r1","elapsed_ms":450}
{"event":"write.current_published","ts":"2026-03-17T23:33:54.460Z","run_id":"r1","elapsed_ms":460}
{"event":"write.completed","ts":"2026-03-17T23:33:54.500Z","run_id":"r1","elapsed_ms":500,"rows_written":10}
`), 0o644)
	var out bytes.Buffer
	run([]string{"summarize", path}, &out, os.Stderr)
	fmt.Print(strings.ReplaceAll(out.String(), dir, "<dir>"))
	// Output:
	// run         r1
	// file        <dir>/events.jsonl
	// lines       8 lines, 7 events, 2026-03-17T23:33:54.000Z to 2026-03-17T23:33:54.500Z
	// written by  milestone v1.0.0 on h, pid 7
	//
	// total  500ms  (write.completed elapsed_ms; 1 write started, 1 completed)
	//
	// phase           time   share of total
	//   sharding      100ms  20.0%
	//   shard writes  300ms  60.0%
	//   manifest      50ms   10.0%
	//   current       10ms   2.0%
	//
	// shards      1 completed of 0 started
	//   duration  min 300ms, median 300ms, max 300ms
	//   slowest   db_id  duration  rows  retries
	//             0      300ms     10    0
	//
	// rows written  10  (write.completed rows_written; 10 in completed shards, 0 in 0 batches)
	// retries       shard writes 0 (backoff 0s), 0 exhausted; storage 0 (delay 0s), 0 exhausted
	// throttled     0 times, 0s waiting; 0 denied (0 tokens)
	//
	// reader        0 initialized, 0 refreshes (0 changed the snapshot), 0 closed
	//   gets        0 (0 misses)
	//   multi-gets  0 (0 keys)
	//
	// events                      count  durations (percentiles: nearest rank)                  sums
	//   write.started             1      -                                                      -
	//   write.sharding_completed  1      duration_ms total 100ms p50 100ms p99 100ms max 100ms  -
	//   write.shard.completed     1      duration_ms total 300ms p50 300ms p99 300ms max 300ms  row_count 10
	//   write.shards_completed    1      duration_ms total 300ms p50 300ms p99 300ms max 300ms  -
	//   write.manifest_published  1      -                                                      -
	//   write.current_published   1      -                                                      -
	//   write.completed           1      -                                                      rows_written 10
}

// runs lists the runs of an event-log directory, oldest first.
func Example_runs() {
	dir, _ := os.MkdirTemp("", "runs-example")
	defer os.RemoveAll(dir)
	for run, lines := range map[string]string{
		"nightly": `{"event":"write.started","ts":"2026-03-17T23:00:00.000Z","run_id":"nightly","elapsed_ms":0}
{"event":"write.completed","ts":"2026-03-17T23:00:04.500Z","run_id":"nightly","elapsed_ms":4500,"rows_written":10000}
`,
		"crashed": `{"event":"write.started","ts":"2026-03-18T23:00:00.000Z","run_id":"crashed","elapsed_ms":0}
{"event":"write.shard.retried","ts":"2026-03-18T23:00:01.000Z","run_id":"crashed","elapsed_ms":1000,"db_id":2,"attempt":1,"backoff_s":0.5}
`,
	} {
		os.MkdirAll(filepath.Join(dir, run), 0o755)
		os.WriteFile(filepath.Join(dir, run, "events.jsonl"), []byte(lines), 0o644)
	}
	run([]string{"runs", dir}, os.Stdout, os.Stderr)
	// Output:
	// RUN      STARTED                   TOTAL  WRITES  ROWS   RETRIES  DROPPED  TRACE  STATUS
	// nightly  2026-03-17T23:00:00.000Z  4.5s   1/1     10000  0        0        -      completed
	// crashed  2026-03-18T23:00:00.000Z  1s     0/1     0      1        0        -      incomplete
}
