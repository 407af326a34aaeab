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

// TestTaskIsATraceInJaeger runs the program with -otlp to a real Jaeger:
// the execution is a root span named after its group, "task", and its six
// steps are child spans under it, on the trace id the event log carries;
// a failed step is an error.
func TestTaskIsATraceInJaeger(t *testing.T) {
	j := jaeger.Start(t)
	j.ExportHere(t)
	for _, fail := range []string{"", "upload_outputs"} {
		dir := t.TempDir()
		args := []string{"-data", dir, "-inputs", "3", "-size", "200", "-otlp"}
		if fail != "" {
			args = append(args, "-fail", fail)
		}
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		if (err != nil) != (fail != "") {
			t.Fatalf("-fail %q: %v\n%s", fail, err, stderr.String())
		}
		traceID := firstTraceID(t, filepath.Join(dir, "events"))
		wantSteps := 6
		if fail != "" {
			wantSteps = 5 // upload_outputs fails and write_decks never runs
		}
		tr, err := j.Trace(context.Background(), traceID, 1+wantSteps, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var root *jaeger.Span
		for i, s := range tr.Spans {
			if s.OperationName == "task" {
				root = &tr.Spans[i]
			}
		}
		if root == nil || root.Parent() != "" {
			t.Fatalf("-fail %q: no root task span in %+v", fail, tr.Spans)
		}
		steps, failed := 0, 0
		for _, s := range tr.Spans {
			if s.OperationName != "step" {
				continue
			}
			steps++
			if s.Parent() != root.SpanID {
				t.Errorf("step span %s's parent %s, want the task %s", s.SpanID, s.Parent(), root.SpanID)
			}
			if status, _ := s.Tag("otel.status_code"); status == "ERROR" {
				failed++
			}
		}
		rootStatus, _ := root.Tag("otel.status_code")
		if steps != wantSteps || (fail != "") != (failed == 1) || (fail != "") != (rootStatus == "ERROR") {
			t.Errorf("-fail %q: %d step spans (want %d), %d in error, root status %q", fail, steps, wantSteps, failed, rootStatus)
		}
	}
}

// firstTraceID returns the trace id of the only run under events.
func firstTraceID(t *testing.T, events string) string {
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
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct {
			TraceID string `json:"trace_id"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.TraceID != "" {
			return l.TraceID
		}
	}
	t.Fatal("no line with a trace id")
	return ""
}
