package tracing_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
)

// TestRebuiltTraceMatchesTheLiveOne: a write traced live and logged to an
// event log; the trace rebuilt from the log has the same spans, ids and
// parents, with start and end times within the log's millisecond.
func TestRebuiltTraceMatchesTheLiveOne(t *testing.T) {
	live, liveExp := newCollector(t)
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 4)
	_, err = shardkv.Write(context.Background(), t.TempDir(), rows(3000), shardkv.WriteOptions{
		NumShards: 4, Collector: metrics.Multi(live, ev), Faults: faults, RunID: "rebuild-me", Logger: slog.New(slog.DiscardHandler),
		ShardRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	rebuilt, rebuiltExp := newCollector(t)
	f, err := os.Open(ev.Path("rebuild-me"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := rebuilt.Rebuild(f)
	if err != nil {
		t.Fatal(err)
	}
	liveSpans, rebuiltSpans := liveExp.GetSpans(), rebuiltExp.GetSpans()
	if len(res.Traces) != 1 || res.Spans != len(liveSpans) || len(rebuiltSpans) != len(liveSpans) {
		t.Fatalf("rebuilt %d spans of %d traces (%+v), live %d", len(rebuiltSpans), len(res.Traces), res, len(liveSpans))
	}
	byID := map[string]tracetest.SpanStub{}
	for _, s := range liveSpans {
		byID[s.SpanContext.SpanID().String()] = s
	}
	for _, r := range rebuiltSpans {
		l, ok := byID[r.SpanContext.SpanID().String()]
		if !ok {
			t.Errorf("rebuilt span %s %s has no live twin", r.Name, r.SpanContext.SpanID())
			continue
		}
		if r.Name != l.Name || r.SpanContext.TraceID() != l.SpanContext.TraceID() || r.Parent.SpanID() != l.Parent.SpanID() ||
			r.Status.Code != l.Status.Code || len(r.Events) != len(l.Events) {
			t.Errorf("span %s: rebuilt %s parent %s status %v %d events; live %s parent %s status %v %d events",
				r.SpanContext.SpanID(), r.Name, r.Parent.SpanID(), r.Status, len(r.Events), l.Name, l.Parent.SpanID(), l.Status, len(l.Events))
		}
		for what, d := range map[string]time.Duration{"start": r.StartTime.Sub(l.StartTime), "end": r.EndTime.Sub(l.EndTime)} {
			if d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("span %s (%s): rebuilt %s is %v from the live one", r.Name, r.SpanContext.SpanID(), what, d)
			}
		}
	}
}
