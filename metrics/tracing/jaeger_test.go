package tracing_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/examples/shardkv"
	"github.com/milestone-go/milestone/internal/testkit/jaeger"
	"github.com/milestone-go/milestone/metrics/runctx"
	"github.com/milestone-go/milestone/metrics/tracing"
)

// TestJaegerHoldsTheWrite exports a write over OTLP, by HTTP and by gRPC as
// the OTEL_* variables select, to a real Jaeger and reads it back: one
// root, its phases, 8 shards under the shard-write phase, the retries as
// span events, all on the trace id derived from the run id.
func TestJaegerHoldsTheWrite(t *testing.T) {
	j := jaeger.Start(t)
	for _, tc := range []struct{ protocol, endpoint string }{
		{"http/protobuf", j.OTLPHTTP},
		{"grpc", "http://" + j.OTLPGRPC},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", tc.endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tc.protocol)
			t.Setenv("OTEL_SERVICE_NAME", "tracing-test")
			ctx := context.Background()
			c, err := tracing.NewFromEnv(ctx, tracing.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			run := "jaeger-" + strings.ReplaceAll(tc.protocol, "/", "-")
			faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00005", 4)
			if _, err := shardkv.Write(ctx, t.TempDir(), shardkv.SampleRows(4000), shardkv.WriteOptions{
				NumShards: 8, Collector: c, Faults: faults, RunID: run, Logger: slog.New(slog.DiscardHandler),
				ShardRetry: shardkv.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond},
			}); err != nil {
				t.Fatal(err)
			}
			if err := c.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			traceID, rootID := runctx.Derive(run)
			tr, err := j.Trace(ctx, traceID.String(), 11, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			byName := tr.ByName()
			root := byName["write"]
			if len(root) != 1 || root[0].SpanID != rootID.String() || root[0].Parent() != "" {
				t.Fatalf("root spans %+v, want one write span %s with no parent", root, rootID)
			}
			phase := byName["write.shards_completed"]
			if len(phase) != 1 || phase[0].Parent() != rootID.String() || len(byName["write.sharding_completed"]) != 1 {
				t.Fatalf("phase spans %+v", phase)
			}
			shards := byName["write.shard.completed"]
			if len(shards) != 8 {
				t.Fatalf("%d shard spans, want 8", len(shards))
			}
			retries := 0
			for _, s := range shards {
				if s.Parent() != phase[0].SpanID {
					t.Errorf("shard span %s's parent %s, want the phase %s", s.SpanID, s.Parent(), phase[0].SpanID)
				}
				for _, l := range s.Logs {
					if l.EventName() == "write.shard.retried" {
						retries++
					}
				}
			}
			if retries != 1 {
				t.Errorf("%d write.shard.retried span events, want 1", retries)
			}
			if id, _ := root[0].Tag("cicd.pipeline.run.id"); id != run {
				t.Errorf("the root's cicd.pipeline.run.id = %q, want %q", id, run)
			}
		})
	}
}

// TestJaegerHoldsTheFailedWrite: a write that fails is a root span in
// error status in Jaeger, with its error type.
func TestJaegerHoldsTheFailedWrite(t *testing.T) {
	j := jaeger.Start(t)
	j.ExportHere(t)
	ctx := context.Background()
	c, err := tracing.NewFromEnv(ctx, tracing.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	faults := shardkv.NewFaults().Fail(shardkv.OpPut, "shard-00001", 100)
	if _, err := shardkv.Write(ctx, t.TempDir(), shardkv.SampleRows(2000), shardkv.WriteOptions{
		NumShards: 4, Collector: c, Faults: faults, RunID: "jaeger-failed", Logger: slog.New(slog.DiscardHandler),
		ShardRetry: shardkv.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond},
	}); err == nil {
		t.Fatal("the write succeeded")
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	traceID, rootID := runctx.Derive("jaeger-failed")
	tr, err := j.Trace(ctx, traceID.String(), 1, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tr.Spans {
		if s.SpanID != rootID.String() {
			continue
		}
		status, _ := s.Tag("otel.status_code")
		errType, _ := s.Tag("error.type")
		if s.OperationName != "write" || status != "ERROR" || errType != "injected_fault" {
			t.Errorf("root span %s: status %q, error.type %q; want write, ERROR, injected_fault", s.OperationName, status, errType)
		}
		return
	}
	t.Fatalf("no root span %s in %+v", rootID, tr.Spans)
}
