package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/chserver"
	"github.com/milestone-go/milestone/internal/testkit/jaeger"
	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/internal/testkit/testutil"
)

// traced runs the service with -otlp exporting to j (and the extra
// arguments) until the first write completed, calls during with its URL,
// stops it, and returns its stdout and its event-log directory.
func traced(t *testing.T, j *jaeger.Server, args []string, during func(url string)) (stdout string, events string) {
	t.Helper()
	j.ExportHere(t)
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000")
	t.Setenv("OTEL_SERVICE_NAME", "milestone-demo")
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testutil.SyncBuffer
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		done <- run(ctx, append([]string{"-otlp", "-data", data, "-addr", "127.0.0.1:0", "-rows", "4000", "-shards", "8",
			"-batch", "500", "-rewrite", "0", "-refresh", "0", "-read-every", "0"}, args...), &out, &errb)
		close(exited)
	}()
	url := waitListening(t, &errb, exited)
	waitReady(t, url)
	during(url)
	cancel()
	waitRunReturns(t, done)
	return out.String(), filepath.Join(data, "events")
}

// firstRun returns the run id and the lines of the only run of an
// event-log directory.
func firstRun(t *testing.T, events string) (string, []map[string]any) {
	t.Helper()
	dirs, err := os.ReadDir(events)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("event-log runs %v (%v), want one", dirs, err)
	}
	f, err := os.Open(filepath.Join(events, dirs[0].Name(), "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	return dirs[0].Name(), lines
}

// TestDemoWriteIsATraceInJaeger runs the demo with -otlp to a real Jaeger,
// -clickhouse to a real ClickHouse and a real Prometheus (exemplar storage
// on) scraping it over OpenMetrics: its first write (8 shards, injected
// storage faults) is one trace in Jaeger, a root span, its phases and 8
// shard spans under the shard-write phase, with as many retry span events
// as the event log has retries; a /get request's span is the parent of its
// reader.get span; every line of the run in the flat log, the event log
// and ClickHouse carries the trace id Jaeger holds; and Prometheus returns
// exemplars of the shard-duration histogram whose trace ids Jaeger
// resolves.
func TestDemoWriteIsATraceInJaeger(t *testing.T) {
	j := jaeger.Start(t)
	ch := chserver.Start(t)
	var requestID = "e2e-traced-get"
	var exemplars []promserver.Exemplar
	stdout, events := traced(t, j, []string{"-clickhouse", ch.WriterURL()}, func(url string) {
		call(t, "GET", url+"/get?key=user:00000042", requestID, nil)
		p := promserver.StartConfig(t, promserver.Config{
			Targets:  map[string][]string{"demo": {strings.TrimPrefix(url, "http://")}},
			Features: []string{"exemplar-storage"},
		})
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var err error
			exemplars, err = p.Exemplars(context.Background(), "shardyfusion_shard_write_duration_seconds_bucket")
			if err == nil && len(exemplars) > 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	run, lines := firstRun(t, events)
	traceID, _ := lines[1]["trace_id"].(string)
	if len(traceID) != 32 {
		t.Fatalf("the event log's first event has trace id %q", traceID)
	}

	// Jaeger: the write's trace.
	tr, err := j.Trace(context.Background(), traceID, 11, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	byName := tr.ByName()
	roots, phase := byName["write"], byName["write.shards_completed"]
	if len(roots) != 1 || roots[0].Parent() != "" || len(phase) != 1 || phase[0].Parent() != roots[0].SpanID ||
		len(byName["write.sharding_completed"]) != 1 {
		t.Fatalf("root %+v, phase %+v", roots, phase)
	}
	shards := byName["write.shard.completed"]
	if len(shards) != 8 {
		t.Fatalf("%d shard spans, want 8", len(shards))
	}
	spanEvents := map[string]int{}
	for _, s := range tr.Spans {
		if s.OperationName == "write.shard.completed" && s.Parent() != phase[0].SpanID {
			t.Errorf("shard span %s's parent is %s, want the phase %s", s.SpanID, s.Parent(), phase[0].SpanID)
		}
		for _, l := range s.Logs {
			spanEvents[l.EventName()]++
		}
	}
	logged := map[string]int{}
	for _, l := range lines {
		name, _ := l["event"].(string)
		logged[name]++
		if name != "event_log_started" && l["trace_id"] != traceID {
			t.Errorf("event-log line %v carries trace %v, want %s", name, l["trace_id"], traceID)
		}
	}
	if logged["s3.retry"] == 0 {
		t.Error("the event log has no storage retry: the faults did not fire")
	}
	for _, retry := range []string{"s3.retry", "write.shard.retried"} {
		if spanEvents[retry] != logged[retry] {
			t.Errorf("%d %s span events in Jaeger, %d lines in the event log", spanEvents[retry], retry, logged[retry])
		}
	}

	// The flat log: every line of the run carries the trace id; the /get's
	// lines carry the request's trace, in which the request span is the
	// parent of reader.get.
	var getTrace string
	for _, l := range checkNDJSON(t, stdout) {
		if l["run_id"] == run && l["trace_id"] != traceID {
			t.Errorf("log line %v of run %s carries trace %v, want %s", l["event"], run, l["trace_id"], traceID)
		}
		if l["request_id"] == requestID && l["event"] == "request_completed" {
			getTrace, _ = l["trace_id"].(string)
		}
	}
	if getTrace == "" {
		t.Fatal("the /get's request_completed line carries no trace_id")
	}
	gt, err := j.Trace(context.Background(), getTrace, 2, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var req, get *jaeger.Span
	for i := range gt.Spans {
		switch gt.Spans[i].OperationName {
		case "GET /get":
			req = &gt.Spans[i]
		case "reader.get":
			get = &gt.Spans[i]
		}
	}
	if req == nil || get == nil || get.Parent() != req.SpanID {
		t.Errorf("the /get trace %+v: want reader.get under GET /get", gt.Spans)
	}

	// ClickHouse: every row of the run.
	got := strings.TrimSpace(ch.MustQuery(t, "SELECT groupUniqArray(trace_id) FROM default.milestone_events WHERE run_id = '"+run+"'"))
	if got != `['`+traceID+`']` {
		t.Errorf("ClickHouse rows of run %s carry trace ids %s, want only %s", run, got, traceID)
	}

	// Prometheus: exemplars of the shard-duration histogram, whose traces
	// Jaeger holds.
	if len(exemplars) == 0 {
		t.Fatal("Prometheus returned no exemplar for shardyfusion_shard_write_duration_seconds_bucket")
	}
	for _, e := range exemplars {
		if e.Labels["trace_id"] != traceID || e.Labels["span_id"] == "" {
			t.Errorf("exemplar %+v, want trace %s", e, traceID)
		}
		if _, err := j.Trace(context.Background(), e.Labels["trace_id"], 1, 5*time.Second); err != nil {
			t.Errorf("Jaeger does not resolve the exemplar's trace: %v", err)
		}
	}
}

// TestDemoECSLinesCarryTheTraceID runs the demo with ECS logs: every line
// of its first write carries trace.id, the trace Jaeger holds, and span.id.
func TestDemoECSLinesCarryTheTraceID(t *testing.T) {
	j := jaeger.Start(t)
	stdout, events := traced(t, j, []string{"-log-format", "ecs"}, func(string) {})
	run, lines := firstRun(t, events)
	traceID, _ := lines[1]["trace_id"].(string)
	if _, err := j.Trace(context.Background(), traceID, 11, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range checkNDJSON(t, stdout) {
		if l["run_id"] != run {
			continue
		}
		n++
		if l["trace.id"] != traceID || len(l["span.id"].(string)) != 16 {
			t.Errorf("ECS line %v carries trace.id %v span.id %v, want trace %s", l["message"], l["trace.id"], l["span.id"], traceID)
		}
	}
	if n < 5 {
		t.Errorf("%d ECS lines of run %s", n, run)
	}
}
