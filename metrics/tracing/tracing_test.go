package tracing_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
	"github.com/milestone-go/milestone/metrics/tracing"
)

func newCollector(t *testing.T, opts ...tracing.Option) (*tracing.Collector, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	c, err := tracing.New(append([]tracing.Option{tracing.WithExporter(exp), tracing.WithSyncExport(), tracing.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, exp
}

// byName indexes spans by name (several spans may share one).
func byName(spans tracetest.SpanStubs) map[string][]tracetest.SpanStub {
	out := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		out[s.Name] = append(out[s.Name], s)
	}
	return out
}

// TestWriteIsATrace: a sharded write of 8 shards, one of which needs a
// retry, is one trace: the write's root span, its sharding and shard-write
// phases under it, 8 shard spans under the shard-write phase, and span
// events for the retries, on the ids the context held.
func TestWriteIsATrace(t *testing.T) {
	c, exp := newCollector(t)
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00003", 4) // 3 storage retries, then a shard retry
	ctx := context.Background()
	_, err := shardkv.Write(ctx, t.TempDir(), shardkv.SampleRows(4000), shardkv.WriteOptions{
		NumShards: 8, Collector: c, Faults: faults, RunID: "run-write-1", Logger: slog.New(slog.DiscardHandler),
		ShardRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	names := byName(spans)
	roots := names["write"]
	if len(roots) != 1 {
		t.Fatalf("%d write root spans, want 1; spans: %v", len(roots), spanNames(spans))
	}
	root := roots[0]
	wantTrace, wantRoot := runctx.Derive("run-write-1")
	if root.SpanContext.TraceID() != wantTrace || root.SpanContext.SpanID() != wantRoot || root.Parent.IsValid() {
		t.Errorf("root %s/%s parent %v, want the ids derived from the run id", root.SpanContext.TraceID(), root.SpanContext.SpanID(), root.Parent)
	}
	if root.Status.Code == codes.Error {
		t.Errorf("a completed write's root span is in error: %v", root.Status)
	}
	phases := names["write.shards_completed"]
	sharding := names["write.sharding_completed"]
	if len(phases) != 1 || len(sharding) != 1 {
		t.Fatalf("phase spans: %d shard-write, %d sharding; want 1 each", len(phases), len(sharding))
	}
	for _, ph := range []tracetest.SpanStub{phases[0], sharding[0]} {
		if ph.Parent.SpanID() != wantRoot || ph.SpanContext.TraceID() != wantTrace {
			t.Errorf("%s's parent is %s, want the root", ph.Name, ph.Parent.SpanID())
		}
	}
	shards := names["write.shard.completed"]
	if len(shards) != 8 {
		t.Fatalf("%d shard spans, want 8", len(shards))
	}
	retries, storageRetries := 0, 0
	for _, s := range shards {
		if s.Parent.SpanID() != phases[0].SpanContext.SpanID() {
			t.Errorf("shard span %s's parent is %s, want the shard-write phase %s", s.SpanContext.SpanID(), s.Parent.SpanID(), phases[0].SpanContext.SpanID())
		}
		if !s.StartTime.Before(s.EndTime) || s.StartTime.Before(phases[0].StartTime) || s.EndTime.After(phases[0].EndTime) {
			t.Errorf("shard span %v to %v is not inside its phase %v to %v", s.StartTime, s.EndTime, phases[0].StartTime, phases[0].EndTime)
		}
		for _, e := range s.Events {
			switch e.Name {
			case "write.shard.retried":
				retries++
			case "s3.retry":
				storageRetries++
			}
		}
	}
	if retries != 1 || storageRetries != 3 {
		t.Errorf("span events: %d shard retries, %d storage retries; want 1 and 3", retries, storageRetries)
	}
	for _, s := range spans {
		if s.SpanContext.TraceID() != wantTrace {
			t.Errorf("span %s is in trace %s, want %s", s.Name, s.SpanContext.TraceID(), wantTrace)
		}
	}
}

// TestFailedWriteRootIsAnError: a write that fails ends its root span in
// error, with its error type, and the shards it left unended in error too.
func TestFailedWriteRootIsAnError(t *testing.T) {
	c, exp := newCollector(t)
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00002", 100)
	_, err := shardkv.Write(context.Background(), t.TempDir(), shardkv.SampleRows(2000), shardkv.WriteOptions{
		NumShards: 4, Collector: c, Faults: faults, RunID: "run-write-failed", Logger: slog.New(slog.DiscardHandler),
		ShardRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
	})
	if err == nil {
		t.Fatal("the write succeeded")
	}
	roots := byName(exp.GetSpans())["write"]
	if len(roots) != 1 {
		t.Fatalf("%d root spans, want 1", len(roots))
	}
	r := roots[0]
	if r.Status.Code != codes.Error || r.Status.Description != "injected_fault" {
		t.Errorf("root status %v, want error injected_fault", r.Status)
	}
	var result string
	for _, a := range r.Attributes {
		if a.Key == "cicd.pipeline.result" {
			result = a.Value.AsString()
		}
	}
	if result != "failure" {
		t.Errorf("cicd.pipeline.result = %q, want failure", result)
	}
}

// TestForeignParent: an event with a duration in the context of another
// tracer's span (an HTTP server's) is a child span of it.
func TestForeignParent(t *testing.T) {
	c, exp := newCollector(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ctx, req := tp.Tracer("http").Start(context.Background(), "GET /get")
	metrics.Emit(ctx, c, shardyfusion.ReaderGet{Duration: time.Millisecond, Found: true})
	metrics.Emit(ctx, c, shardyfusion.RateLimiterThrottled{Wait: time.Millisecond})
	req.End()
	spans := byName(exp.GetSpans())
	get, http := spans["reader.get"], spans["GET /get"]
	if len(get) != 1 || len(http) != 1 {
		t.Fatalf("spans %v", spanNames(exp.GetSpans()))
	}
	if get[0].Parent.SpanID() != http[0].SpanContext.SpanID() || get[0].SpanContext.TraceID() != http[0].SpanContext.TraceID() {
		t.Errorf("reader.get's parent %s, want the request's span %s", get[0].Parent.SpanID(), http[0].SpanContext.SpanID())
	}
	if len(http[0].Events) != 1 || http[0].Events[0].Name != "rate_limiter.throttled" {
		t.Errorf("the request span's events %v, want the throttle", http[0].Events)
	}
	// A context with no span is not traced.
	before := len(exp.GetSpans())
	metrics.Emit(context.Background(), c, shardyfusion.ReaderGet{Duration: time.Millisecond})
	if len(exp.GetSpans()) != before {
		t.Error("an event in a context with no span made a span")
	}
}

// TestRunJoinsTheRequestTrace: a run bound in the context of another
// tracer's span joins its trace, its root the child of that span.
func TestRunJoinsTheRequestTrace(t *testing.T) {
	c, exp := newCollector(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ctx, req := tp.Tracer("http").Start(context.Background(), "POST /write")
	ctx, run := metrics.StartRun(runctx.With(ctx, "joined"), c)
	metrics.Emit(ctx, run, shardyfusion.WriteStarted{})
	metrics.Emit(ctx, run, shardyfusion.WriteCompleted{Rows: 1})
	req.End()
	spans := byName(exp.GetSpans())
	w := spans["write"]
	if len(w) != 1 || w[0].Parent.SpanID() != req.SpanContext().SpanID() || w[0].SpanContext.TraceID() != req.SpanContext().TraceID() {
		t.Fatalf("write spans %+v, want one child of the request", w)
	}
	if got := runctx.SpanOf(ctx); got == nil || trace.SpanContextFromContext(ctx).SpanID() != w[0].SpanContext.SpanID() {
		t.Error("the run's context does not hold the span the trace has")
	}
}

// TestUnendedRunIsExportedAtShutdown: a run still open when the collector
// shuts down shows as a root span in error.
func TestUnendedRunIsExportedAtShutdown(t *testing.T) {
	exp := keepOnShutdown{tracetest.NewInMemoryExporter()}
	c, err := tracing.New(tracing.WithExporter(exp), tracing.WithSyncExport())
	if err != nil {
		t.Fatal(err)
	}
	ctx, run := metrics.StartRun(runctx.With(context.Background(), "never-ends"), c)
	metrics.Emit(ctx, run, shardyfusion.WriteStarted{})
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error || spans[0].Status.Description != "not_ended" {
		t.Fatalf("spans after Shutdown: %+v", spans)
	}
}

// keepOnShutdown keeps the spans an InMemoryExporter holds when it is shut
// down (it forgets them).
type keepOnShutdown struct{ *tracetest.InMemoryExporter }

func (keepOnShutdown) Shutdown(context.Context) error { return nil }

func TestConformance(t *testing.T) {
	collectortest.Run(t, func() metrics.Collector {
		c, err := tracing.New(tracing.WithExporter(tracetest.NewInMemoryExporter()), tracing.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestNewNeedsAnExporter(t *testing.T) {
	if _, err := tracing.New(); err == nil {
		t.Error("New without an exporter succeeded")
	}
	if _, err := tracing.New(tracing.WithExporter(tracetest.NewInMemoryExporter()), tracing.WithLimits(0, 1)); err == nil {
		t.Error("WithLimits(0, 1) was accepted")
	}
	if _, err := tracing.New(tracing.WithExporter(tracetest.NewInMemoryExporter()), tracing.WithClock(nil)); err == nil || !strings.Contains(err.Error(), "WithClock(nil)") {
		t.Errorf("WithClock(nil): %v, want an error naming it", err)
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
