package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/jaeger"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/runctx"
)

// TestTraceSendsTheRebuiltRunToJaeger: `milestone trace` rebuilds a write's
// trace from its event log and a real Jaeger holds it: the root, its
// phases and shards, on the trace id derived from the run id.
func TestTraceSendsTheRebuiltRunToJaeger(t *testing.T) {
	j := jaeger.Start(t)
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shardkv.Write(context.Background(), t.TempDir(), shardkvRows(2000), shardkv.WriteOptions{
		NumShards: 4, Collector: ev, RunID: "cli-trace", Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	j.ExportHere(t)
	var out, errb bytes.Buffer
	if code := run([]string{"trace", ev.Path("cli-trace")}, &out, &errb); code != 0 {
		t.Fatalf("trace: %d %s", code, errb.String())
	}
	traceID, rootID := runctx.Derive("cli-trace")
	if !strings.Contains(out.String(), "trace "+traceID.String()) {
		t.Errorf("output %q lacks the trace id %s", out.String(), traceID)
	}
	tr, err := j.Trace(context.Background(), traceID.String(), 7, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	shards, root := 0, ""
	for _, s := range tr.Spans {
		switch s.OperationName {
		case "write":
			root = s.SpanID
		case "write.shard.completed":
			shards++
		}
	}
	if root != rootID.String() || shards != 4 {
		t.Errorf("Jaeger holds root %q and %d shard spans, want %s and 4", root, shards, rootID)
	}
	if code := run([]string{"trace"}, &out, &errb); code != 2 {
		t.Errorf("trace with no PATH: exit %d, want 2", code)
	}
}

func shardkvRows(n int) func(yield func([]byte, []byte) bool) {
	return func(yield func([]byte, []byte) bool) {
		for i := range n {
			if !yield([]byte(fmt.Sprintf("key:%08d", i)), []byte(`{"v":1}`)) {
				return
			}
		}
	}
}
