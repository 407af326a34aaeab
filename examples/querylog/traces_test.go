package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/jaeger"
)

// TestQueryIsATraceInJaeger runs the program with -otlp to a real Jaeger:
// the query is a root span, its optimization and execution steps under it,
// the five operators under the execution, each with its stats as span
// events, on the trace id the event log carries.
func TestQueryIsATraceInJaeger(t *testing.T) {
	j := jaeger.Start(t)
	j.ExportHere(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-data", dir, "-rows", "40000", "-otlp"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	traceID, stats := eventLogTrace(t, filepath.Join(dir, "events"))
	tr, err := j.Trace(context.Background(), traceID, 8, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	byName := tr.ByName()
	root, exec := byName["query"], byName["execution_ended"]
	if len(root) != 1 || root[0].Parent() != "" || len(exec) != 1 || exec[0].Parent() != root[0].SpanID {
		t.Fatalf("query %+v, execution %+v: want the execution under the query", root, exec)
	}
	if opt := byName["optimization_ended"]; len(opt) != 1 || opt[0].Parent() != root[0].SpanID {
		t.Errorf("optimization %+v: want it under the query", opt)
	}
	ops := byName["operator_ended"]
	if len(ops) != 5 {
		t.Fatalf("%d operator spans, want 5", len(ops))
	}
	events := 0
	for _, op := range ops {
		if op.Parent() != exec[0].SpanID {
			t.Errorf("operator span %s's parent %s, want the execution %s", op.SpanID, op.Parent(), exec[0].SpanID)
		}
		for _, l := range op.Logs {
			if l.EventName() == "stats" {
				events++
			}
		}
	}
	if events != stats {
		t.Errorf("%d stats span events on the operators, %d stats lines in the event log", events, stats)
	}
}

// eventLogTrace returns the trace id of the only run under events and how
// many stats events it has.
func eventLogTrace(t *testing.T, events string) (string, int) {
	t.Helper()
	dirs, err := os.ReadDir(events)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("runs %v (%v)", dirs, err)
	}
	f, err := os.Open(filepath.Join(events, dirs[0].Name(), "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var traceID string
	stats := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			Event   string `json:"event"`
			TraceID string `json:"trace_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.TraceID != "" && traceID == "" {
			traceID = l.TraceID
		}
		if l.TraceID != "" && l.TraceID != traceID {
			t.Errorf("%s line in trace %s, want %s", l.Event, l.TraceID, traceID)
		}
		if l.Event == "stats" {
			stats++
		}
	}
	return traceID, stats
}
