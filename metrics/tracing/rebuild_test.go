package tracing_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/eventlog"
	"github.com/milestone-go/milestone/metrics/tracing"
)

// oneInstant hands each event to its collectors in turn with their clock
// stopped at the event's instant, one event at a time: the live trace and
// the event log stamp an event alike, whatever runs between their two
// reads of the clock (a GC pause, another shard's goroutine), so what is
// compared is the rebuild, not the scheduler.
type oneInstant struct {
	mu sync.Mutex
	at atomic.Int64 // the instant, in Unix nanoseconds
	cs []metrics.Collector
}

func (o *oneInstant) now() time.Time { return time.Unix(0, o.at.Load()) }

func (o *oneInstant) Emit(ctx context.Context, ev metrics.Event, p metrics.Payload) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.at.Store(time.Now().UnixNano())
	for _, c := range o.cs {
		c.Emit(ctx, ev, p)
	}
}

// TestRebuiltTraceMatchesTheLiveOne: a write traced live and logged to an
// event log; the trace rebuilt from the log has the same spans, ids and
// parents, with start and end times within the log's millisecond.
func TestRebuiltTraceMatchesTheLiveOne(t *testing.T) {
	both := &oneInstant{}
	live, liveExp := newCollector(t, tracing.WithClock(both.now))
	ev, err := eventlog.New(eventlog.WithDir(t.TempDir()), eventlog.WithClock(both.now))
	if err != nil {
		t.Fatal(err)
	}
	both.cs = []metrics.Collector{live, ev}
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 4)
	_, err = shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(3000), shardkv.WriteOptions{
		NumShards: 4, Collector: both, Faults: faults, RunID: "rebuild-me", Logger: slog.New(slog.DiscardHandler),
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
