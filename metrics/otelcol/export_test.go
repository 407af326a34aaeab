package otelcol_test

import (
	"context"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/milestone-go/milestone/metrics"

	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/otelcol"
	"github.com/milestone-go/milestone/metrics/otelcol/internal/otlpreceiver"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// promNames returns the family names metrics/prom registers with its default
// prefix, derived from the catalog: "shardyfusion_" + Instrument.Name.
func promNames() map[string]*metrics.Instrument {
	out := map[string]*metrics.Instrument{}
	for _, in := range shardyfusion.Catalog.Instruments() {
		out["shardyfusion_"+in.Name] = in
	}
	return out
}

// emitAll emits every catalog event n times with the full payload, once with
// Found and Changed true and once false, so that every instrument is fed.
func emitAll(c metrics.Collector, n int) {
	for _, d := range shardyfusion.Catalog.Descriptors() {
		p := collectortest.FullPayload(d)
		for range n {
			c.Emit(context.Background(), d.Event, p)
		}
		for _, f := range d.Fields {
			if f.Kind == metrics.KindBool {
				p.SetBool(f, false)
			}
		}
		c.Emit(context.Background(), d.Event, p)
	}
}

// TestPrometheusExporterNames exports through the OpenTelemetry Prometheus
// exporter on an isolated registry and checks that the family names are
// exactly those metrics/prom uses, with their types, help and values.
func TestPrometheusExporterNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatalf("prometheus exporter: %v", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c := newCollector(t, otelcol.WithMeterProvider(mp), otelcol.WithAttributes(attribute.String("pipeline", "orders")))
	emitAll(c, 4) // every event 5 times, Found/Changed true 4 times

	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	want := promNames()
	got := map[string]*dto.MetricFamily{}
	var extra []string
	for _, f := range families {
		if _, ok := want[f.GetName()]; ok {
			got[f.GetName()] = f
		} else {
			extra = append(extra, f.GetName())
		}
	}
	var missing []string
	for name := range want {
		if got[name] == nil {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("families missing from the OTel Prometheus export: %v", missing)
	}
	// The exporter adds target_info (the resource); nothing else.
	if len(extra) != 1 || extra[0] != "target_info" {
		t.Errorf("families other than the catalog's: %v, want only target_info", extra)
	}
	for _, name := range []string{"shardyfusion_shard_writes_completed_total", "shardyfusion_shard_write_duration_seconds", "shardyfusion_reader_get_misses_total"} {
		if got[name] == nil {
			t.Fatalf("no family %s", name)
		}
	}

	for name, f := range got {
		in := want[name]
		wantType := dto.MetricType_COUNTER
		if in.Kind == metrics.Histogram {
			wantType = dto.MetricType_HISTOGRAM
		}
		if f.GetType() != wantType {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), wantType)
		}
		if f.GetHelp() != in.Help {
			t.Errorf("%s: help %q, want %q", name, f.GetHelp(), in.Help)
		}
		if len(f.GetMetric()) != 1 {
			t.Errorf("%s: %d series, want 1", name, len(f.GetMetric()))
			continue
		}
		labels := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["pipeline"] != "orders" || labels["otel_scope_name"] != "shardyfusion" {
			t.Errorf("%s: labels %v, want pipeline=orders and otel_scope_name=shardyfusion", name, labels)
		}
	}

	counter := func(name string) float64 { return got[name].GetMetric()[0].GetCounter().GetValue() }
	if v := counter("shardyfusion_shard_writes_completed_total"); v != 5 {
		t.Errorf("shardyfusion_shard_writes_completed_total = %v, want 5", v)
	}
	if v := counter("shardyfusion_shard_rows_written_total"); v != 5*3 {
		t.Errorf("shardyfusion_shard_rows_written_total = %v, want 15", v)
	}
	if v := counter("shardyfusion_reader_get_misses_total"); v != 1 {
		t.Errorf("shardyfusion_reader_get_misses_total = %v, want 1", v)
	}
	if v := counter("shardyfusion_reader_snapshot_changes_total"); v != 4 {
		t.Errorf("shardyfusion_reader_snapshot_changes_total = %v, want 4", v)
	}
	h := got["shardyfusion_shard_write_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 5 || math.Abs(h.GetSampleSum()-5*1.5) > 1e-9 {
		t.Errorf("shardyfusion_shard_write_duration_seconds: count %d sum %v, want 5 and 7.5", h.GetSampleCount(), h.GetSampleSum())
	}
	var le []float64
	for _, b := range h.GetBucket() {
		le = append(le, b.GetUpperBound())
	}
	if len(le) == 0 || le[0] != 0.01 || le[len(le)-1] != 600 {
		t.Errorf("bucket bounds %v, want the catalog's 0.01 .. 600 s", le)
	}
}

// TestOTLPHTTPWire exports through otlpmetrichttp to an in-process OTLP/HTTP
// receiver that decodes the protobuf request, with a provider the collector
// owns: Flush sends what was recorded, Close sends the rest and shuts down.
func TestOTLPHTTPWire(t *testing.T) {
	recv := otlpreceiver.NewHTTP(t)
	exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(recv.Endpoint+"/v1/metrics"))
	if err != nil {
		t.Fatalf("otlpmetrichttp.New: %v", err)
	}
	// An interval far longer than the test: only Flush and Close export.
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))))
	c := newCollector(t, otelcol.WithOwnedMeterProvider(mp, nil), otelcol.WithAttributes(attribute.String("pipeline", "orders")))

	for _, d := range []time.Duration{250 * time.Millisecond, 1500 * time.Millisecond} {
		metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{DBID: 1, Rows: 5000, Duration: d})
	}
	if n := len(recv.Requests()); n != 0 {
		t.Fatalf("%d requests before Flush, want 0", n)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := len(recv.Requests()); n != 1 {
		t.Fatalf("%d requests after Flush, want 1 (errors %v)", n, recv.Errors())
	}
	m := recv.Metrics()
	checkWire(t, m, "shardyfusion.shard_writes_completed", 2)
	if v, _ := m.Sum("shardyfusion.shard_rows_written"); v != 10000 {
		t.Errorf("shard_rows_written = %d, want 10000", v)
	}
	h := m.Histogram("shardyfusion.shard_write_duration")
	if h == nil {
		t.Fatalf("no histogram shardyfusion.shard_write_duration_seconds; have %v", keys(m))
	}
	if h.GetCount() != 2 || math.Abs(h.GetSum()-1.75) > 1e-9 {
		t.Errorf("histogram count %d sum %v, want 2 and 1.75", h.GetCount(), h.GetSum())
	}
	if u := m["shardyfusion.shard_write_duration"].GetUnit(); u != "s" {
		t.Errorf("histogram unit %q, want s", u)
	}
	if b := h.GetExplicitBounds(); len(b) != 15 || b[0] != 0.01 || b[14] != 600 {
		t.Errorf("explicit bounds %v, want the catalog's 15 bounds 0.01 .. 600", b)
	}
	if !hasAttr(h.GetAttributes(), "pipeline", "orders") {
		t.Errorf("histogram point attributes %v lack pipeline=orders", h.GetAttributes())
	}
	if m["shardyfusion.shard_writes_completed"].Scope != "shardyfusion" {
		t.Errorf("scope %q, want shardyfusion", m["shardyfusion.shard_writes_completed"].Scope)
	}

	metrics.Emit(context.Background(), c, shardyfusion.ShardWriteCompleted{Rows: 1, Duration: time.Second})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := len(recv.Requests()); n < 2 {
		t.Fatalf("%d requests after Close, want the final export too", n)
	}
	checkWire(t, recv.Metrics(), "shardyfusion.shard_writes_completed", 3)
	if errs := recv.Errors(); len(errs) != 0 {
		t.Errorf("receiver errors: %v", errs)
	}
}

// TestFlushLeavesUserProviderAlone checks that Flush does not force-flush a
// provider the collector does not own: nothing reaches the receiver.
func TestFlushLeavesUserProviderAlone(t *testing.T) {
	recv := otlpreceiver.NewHTTP(t)
	exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(recv.Endpoint+"/v1/metrics"))
	if err != nil {
		t.Fatalf("otlpmetrichttp.New: %v", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))))
	c := newCollector(t, otelcol.WithMeterProvider(mp))
	metrics.Emit(context.Background(), c, shardyfusion.WriteStarted{})
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// ForceFlush and Shutdown are synchronous: had the collector called
	// them, the export would have arrived before they returned.
	if n := len(recv.Requests()); n != 0 {
		t.Fatalf("%d requests: the collector flushed a provider it does not own", n)
	}
	// The owner's flush still works and carries the event.
	if err := mp.ForceFlush(context.Background()); err != nil {
		t.Fatalf("owner's ForceFlush: %v", err)
	}
	checkWire(t, recv.Metrics(), "shardyfusion.writes_started", 1)
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatalf("owner's Shutdown: %v", err)
	}
}

// TestGlobalProviderByDefault checks that New without a provider option
// records on otel.GetMeterProvider.
func TestGlobalProviderByDefault(t *testing.T) {
	prev := otel.GetMeterProvider()
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	mp, reader := sdk(t)
	otel.SetMeterProvider(mp)
	c := newCollector(t)
	metrics.Emit(context.Background(), c, shardyfusion.ReaderInitialized{})
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v := collect(t, reader).sum(t, "shardyfusion.reader_initialized").Value; v != 1 {
		t.Errorf("reader_initialized = %d, want 1", v)
	}
}

func checkWire(t *testing.T, m otlpreceiver.Metrics, name string, want int64) {
	t.Helper()
	met, ok := m[name]
	if !ok {
		t.Fatalf("no metric %s on the wire; have %v", name, keys(m))
	}
	s := met.GetSum()
	if s == nil {
		t.Fatalf("%s is not a sum: %v", name, met.Metric)
	}
	if !s.GetIsMonotonic() || s.GetAggregationTemporality() != metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE {
		t.Errorf("%s: monotonic %v temporality %v, want a monotonic cumulative sum", name, s.GetIsMonotonic(), s.GetAggregationTemporality())
	}
	if v, ok := m.Sum(name); !ok || v != want {
		t.Errorf("%s = %d (ok %v), want %d", name, v, ok, want)
	}
	if u := met.GetUnit(); u != "" {
		t.Errorf("%s: unit %q, want none", name, u)
	}
}

func keys(m otlpreceiver.Metrics) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasAttr(kvs []*commonpb.KeyValue, key, value string) bool {
	for _, kv := range kvs {
		if kv.GetKey() == key && kv.GetValue().GetStringValue() == value {
			return true
		}
	}
	return false
}
