package otlpenv_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/otelcol/internal/otlpreceiver"
	"github.com/milestone-go/milestone/metrics/otelcol/otlpenv"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// clearEnv unsets, for this test, every variable that could redirect or
// reconfigure the export.
func clearEnv(t *testing.T) {
	for _, name := range []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
		"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
		"OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
		"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_METRICS_INSECURE",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
		"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
		"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_METRIC_EXPORT_TIMEOUT",
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	} {
		t.Setenv(name, "")
	}
}

func emitWrite(c metrics.Collector) {
	ctx := context.Background()
	metrics.Emit(ctx, c, shardyfusion.WriteStarted{})
	for i := range 4 {
		metrics.Emit(ctx, c, shardyfusion.ShardWriteCompleted{DBID: i, Rows: 1000, Duration: 500 * time.Millisecond})
	}
	metrics.Emit(ctx, c, shardyfusion.WriteCompleted{Elapsed: 3 * time.Second, Rows: 4000})
}

func checkWrite(t *testing.T, m otlpreceiver.Metrics) {
	t.Helper()
	for name, want := range map[string]int64{
		"shardyfusion.writes_started":         1,
		"shardyfusion.shard_writes_completed": 4,
		"shardyfusion.shard_rows_written":     4000,
		"shardyfusion.writes_completed":       1,
		"shardyfusion.rows_written":           4000,
	} {
		if v, ok := m.Sum(name); !ok || v != want {
			t.Errorf("%s = %d (found %v), want %d", name, v, ok, want)
		}
		if u := m[name].GetUnit(); u != "" {
			t.Errorf("%s: unit %q, want none", name, u)
		}
	}
	for name, want := range map[string]struct {
		count uint64
		sum   float64
	}{
		"shardyfusion.shard_write_duration": {4, 2},
		"shardyfusion.write_duration":       {1, 3},
	} {
		h := m.Histogram(name)
		if h == nil {
			t.Errorf("no histogram %s", name)
			continue
		}
		if h.GetCount() != want.count || math.Abs(h.GetSum()-want.sum) > 1e-9 {
			t.Errorf("%s: count %d sum %v, want %d and %v", name, h.GetCount(), h.GetSum(), want.count, want.sum)
		}
		if u := m[name].GetUnit(); u != "s" {
			t.Errorf("%s: unit %q, want s", name, u)
		}
	}
}

// TestHTTPFromEnvironment points the helper at an in-process OTLP/HTTP
// receiver through OTEL_EXPORTER_OTLP_ENDPOINT alone, with a header and the
// service name also from the environment.
func TestHTTPFromEnvironment(t *testing.T) {
	clearEnv(t)
	recv := otlpreceiver.NewHTTP(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
	t.Setenv("OTEL_SERVICE_NAME", "shardkv-test")

	if p, err := otlpenv.Protocol(); err != nil || p != otlpenv.ProtocolHTTP {
		t.Fatalf("Protocol() = %q, %v; want the http/protobuf default", p, err)
	}
	c, err := otlpenv.NewCollector(context.Background(), otelcol.WithAttributes(attribute.String("pipeline", "orders")))
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	emitWrite(c)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	reqs := recv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests after Flush, want 1 (errors %v)", len(reqs), recv.Errors())
	}
	checkWrite(t, recv.Metrics())
	if h := recv.Headers()[0].Get("X-Tenant"); h != "acme" {
		t.Errorf("header x-tenant %q, want acme (from OTEL_EXPORTER_OTLP_HEADERS)", h)
	}
	var service string
	for _, kv := range reqs[0].GetResourceMetrics()[0].GetResource().GetAttributes() {
		if kv.GetKey() == "service.name" {
			service = kv.GetValue().GetStringValue()
		}
	}
	if service != "shardkv-test" {
		t.Errorf("service.name %q, want shardkv-test (from OTEL_SERVICE_NAME)", service)
	}

	// Close flushes what came after, then shuts the provider down.
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v, _ := recv.Metrics().Sum("shardyfusion.writes_started"); v != 2 {
		t.Errorf("writes_started = %d after Close, want 2", v)
	}
	// One final export, not a flush and then the export Shutdown makes.
	if n := len(recv.Requests()); n != 2 {
		t.Errorf("%d requests after Flush and Close, want 2", n)
	}
	if errs := recv.Errors(); len(errs) != 0 {
		t.Errorf("receiver errors: %v", errs)
	}
}

// TestIntervalFromEnvironment checks that OTEL_METRIC_EXPORT_INTERVAL drives
// periodic exports without any Flush.
func TestIntervalFromEnvironment(t *testing.T) {
	clearEnv(t)
	recv := otlpreceiver.NewHTTP(t)
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", recv.Endpoint+"/v1/metrics")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") // the per-signal variable wins
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "100")

	mp, shutdown, err := otlpenv.NewMeterProvider(context.Background(),
		otlpenv.WithResource(resource.NewSchemaless(attribute.String("service.name", "explicit"))))
	if err != nil {
		t.Fatalf("NewMeterProvider: %v", err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	c, err := otelcol.New(otelcol.WithMeterProvider(mp))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	emitWrite(c)
	start := time.Now()
	m := recv.Wait(t, 10*time.Second, func(m otlpreceiver.Metrics) bool {
		v, _ := m.Sum("shardyfusion.writes_completed")
		return v == 1
	})
	t.Logf("first periodic export after %v", time.Since(start))
	checkWrite(t, m)
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := shutdown(context.Background()); err == nil {
		t.Errorf("second shutdown returned nil, want the SDK's already-shut-down error")
	}
}

// TestGRPCFromEnvironment exports over OTLP/gRPC to a real gRPC server with
// the official MetricsService registered.
func TestGRPCFromEnvironment(t *testing.T) {
	clearEnv(t)
	recv := otlpreceiver.NewGRPC(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint) // http:// means insecure

	c, err := otlpenv.NewCollector(context.Background())
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	emitWrite(c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("%d gRPC exports after Flush, want 1", n)
	}
	checkWrite(t, recv.Metrics())
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestBadEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "udp", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"},
		{"OTEL_METRIC_EXPORT_INTERVAL", "10s", "OTEL_METRIC_EXPORT_INTERVAL"},
		{"OTEL_METRIC_EXPORT_INTERVAL", "0", "OTEL_METRIC_EXPORT_INTERVAL"},
		{"OTEL_METRIC_EXPORT_INTERVAL", "-5", "OTEL_METRIC_EXPORT_INTERVAL"},
		{"OTEL_METRIC_EXPORT_TIMEOUT", "soon", "OTEL_METRIC_EXPORT_TIMEOUT"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.name, tc.value)
			mp, _, err := otlpenv.NewMeterProvider(context.Background())
			if err == nil {
				_ = mp.Shutdown(context.Background())
				t.Fatal("NewMeterProvider succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
			if _, err := otlpenv.NewCollector(context.Background()); err == nil {
				t.Error("NewCollector succeeded, want an error")
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	clearEnv(t)
	recv := otlpreceiver.NewHTTP(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint)
	_, err := otlpenv.NewCollector(context.Background(), otelcol.WithMeterName(""))
	if err == nil || !strings.Contains(err.Error(), "WithMeterName") {
		t.Fatalf("err %v, want one naming WithMeterName", err)
	}
	if _, _, err := otlpenv.NewMeterProvider(context.Background(), otlpenv.WithResource(nil)); err == nil || !strings.Contains(err.Error(), "WithResource") {
		t.Errorf("WithResource(nil): err %v, want one naming WithResource", err)
	}
}
